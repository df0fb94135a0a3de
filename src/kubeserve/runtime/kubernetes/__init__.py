"""The Kubernetes runtime: per-tenant namespaces, one Deployment + Service (+ HPA) per deployment.

objects.py builds every object (pure functions), status.py reads what the watch saw,
lease.py elects the reconciling control plane, runtime.py ties them to the cluster.
"""

from kubeserve.runtime.kubernetes.runtime import KubernetesRuntime

__all__ = ["KubernetesRuntime"]
