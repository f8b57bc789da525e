"""The no-Docker local runner: moto's AWS server, the real handlers, and the dashboard, driven by template.yaml."""
