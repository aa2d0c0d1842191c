BEGIN
  EXECUTE $q$SELECT g()$q$;
  x := h();
END