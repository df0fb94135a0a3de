"""Observability of the platform: control-plane metrics, Prometheus discovery of replicas,
per-deployment stats sampled from the replicas' metrics, and request logs."""
