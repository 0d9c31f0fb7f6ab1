-- Member lists grow in bursts (a room filled by batch adds). Re-analyze after 2% churn instead of
-- the default 10% so the planner keeps using the (room, pos) and primary-key indexes.
alter table room_members set (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500);
alter table users set (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500);
