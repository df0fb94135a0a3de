"""Print the control plane's OpenAPI document (the typed dashboard client is generated from it).

Run by `make api-client` and by tests/dashboard/test_api_client.py, which fails when the
committed client differs from a fresh one.
"""

import json

from kubeserve.app import create_app

print(json.dumps(create_app().openapi(), indent=2, sort_keys=True))
