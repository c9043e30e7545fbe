-- 0003: placeholder so that 0004 applies on this branch; the real 0003 of
-- a parallel branch replaces it at merge (drop this file then).
SELECT 1;
