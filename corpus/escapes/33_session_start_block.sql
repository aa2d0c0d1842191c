-- options: -c extguard.block= -c extguard.audit_file=/tmp/extguard-elsewhere.jsonl
-- expect-error: cannot be changed now
COPY (SELECT 1) TO PROGRAM 'cat > /dev/null';
