CREATE CAST (s.a AS s.b) WITH FUNCTION a_to_b(s.a);
--                                     ^ EG119
CREATE CAST (s.b AS s.a) WITH FUNCTION s.b(s.b);
CREATE CAST (s.citext AS s.x) WITH FUNCTION citext(s.citext);
--                                          ^ EG119
CREATE CAST (text AS s.b) WITHOUT FUNCTION;
--           ^ EG119
CREATE OPERATOR s.=== (LEFTARG = s.t, RIGHTARG = s.t, FUNCTION = t_eq, RESTRICT = eqsel, JOIN = pg_catalog.eqjoinsel);
--                                                               ^ EG119
--                                                                                ^ EG119
CREATE AGGREGATE s.agg(s.t) (SFUNC = t_acc, STYPE = s.t, FINALFUNC = s.t_fin, COMBINEFUNC = t_comb);
--                                   ^ EG119
--                                                                                          ^ EG119
CREATE TYPE s.t (INPUT = t_in, OUTPUT = s.t_out, RECEIVE = t_recv, INTERNALLENGTH = 4);
--                       ^ EG119
--                                                         ^ EG119
CREATE TYPE s.r AS RANGE (SUBTYPE = pg_catalog.float8, SUBTYPE_DIFF = r_diff);
--                                                                    ^ EG119
CREATE TRIGGER tr BEFORE INSERT ON s.x FOR EACH ROW EXECUTE FUNCTION tr_fn();
--                                                                   ^ EG119
CREATE EVENT TRIGGER et ON ddl_command_end EXECUTE PROCEDURE et_fn();
--                   ^ EG113
--                                                           ^ EG119
CREATE DOMAIN s.d AS t CHECK (VALUE IS NOT NULL);
--                   ^ EG119
CREATE OPERATOR CLASS s.oc DEFAULT FOR TYPE s.t USING btree AS OPERATOR 1 s.<, FUNCTION 1 t_cmp(s.t, s.t), FUNCTION 2 s.t_sort(internal);
--                                                                                        ^ EG119
ALTER OPERATOR FAMILY s.of USING gist ADD FUNCTION 1 (s.t, s.t) t_consistent(internal, s.t, int2, oid, internal);
--                                                              ^ EG119
CREATE ACCESS METHOD am TYPE INDEX HANDLER am_handler;
--                                         ^ EG119
CREATE FOREIGN DATA WRAPPER w HANDLER s.w_handler VALIDATOR w_validator;
--                                                          ^ EG119
CREATE LANGUAGE l HANDLER l_handler INLINE s.l_inline VALIDATOR l_validator;
--              ^ EG114
--                        ^ EG119
--                                                              ^ EG119
CREATE CONVERSION s.conv FOR 'LATIN1' TO 'UTF8' FROM latin1_to_utf8;
--                                                   ^ EG119
-- safe: qualified, or under a secure search_path
CREATE OPERATOR s.=== (LEFTARG = s.t, RIGHTARG = s.t, FUNCTION = s.t_eq, RESTRICT = pg_catalog.eqsel);
CREATE TRIGGER tr2 BEFORE INSERT ON s.x FOR EACH ROW EXECUTE FUNCTION s.tr_fn();
CREATE DOMAIN s.d2 AS integer;
ALTER OPERATOR FAMILY s.of USING gist DROP FUNCTION 1 (s.t, s.t);
SET search_path = pg_catalog, pg_temp;
CREATE TYPE s.t2 (INPUT = t_in, OUTPUT = t_out);
CREATE CAST (s.a AS s.b) WITH FUNCTION a_to_b(s.a);
CREATE ACCESS METHOD am2 TYPE TABLE HANDLER am_handler;
