-- No session can switch the audit off for itself with connection options:
-- the connection is refused.
-- options: -c extguard.audit=off
-- expect-error: parameter "extguard.audit" cannot be changed now
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
