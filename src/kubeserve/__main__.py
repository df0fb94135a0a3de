from kubeserve.cli.main import app

app(prog_name="kubeserve")
