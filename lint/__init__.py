"""vmlint: a linter for Velero backup hooks on KubeVirt and Harvester virtual machines."""

__version__ = "0.1.0"
