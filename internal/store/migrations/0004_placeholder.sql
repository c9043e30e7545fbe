-- Placeholder kept only on the images branch so that 0006 applies in
-- order; the lead drops it when the branch owning 0004 merges.
SELECT 1;
