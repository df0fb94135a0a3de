"""Administration: users' quotas over HTTP (admins only); granting admin is an operator's
command run against the database (`kubeserve admin grant EMAIL`), never an HTTP call."""
