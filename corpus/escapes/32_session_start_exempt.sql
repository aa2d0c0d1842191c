-- options: -c extguard.exempt_roles=postgres
-- expect-error: parameter "extguard.exempt_roles" cannot be changed now
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
