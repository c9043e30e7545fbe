-- 0002: placeholder in the quota branch only, so that 0003 applies in
-- order there. Another branch owns the real 0002; drop this file at merge.
SELECT 1;
