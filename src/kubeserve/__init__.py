"""KubeServe: a Heroku for machine learning."""
