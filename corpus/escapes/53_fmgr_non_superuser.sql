-- as: eg_alice
-- A login role reaches the aliases a superuser planted: the planner's
-- estimator, a trigger, a type input function, an index comparison.
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect: server_control attempted
-- expect-field: hook=fmgr
SELECT count(*) FROM eg_pl WHERE x <<< 1;
INSERT INTO eg_tt VALUES (3);
SELECT 'y'::eg_ty;
INSERT INTO eg_it VALUES (5);
