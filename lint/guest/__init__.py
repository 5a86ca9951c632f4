"""Evidence, read from a manifest, that a KubeVirt guest runs the QEMU guest agent that virt-freezer needs.

One module per source (images, declared, windows, userdata with cloudinit, scripts and ignition), the shared
types in evidence, and the verdict that weighs them in verdict. Import the modules themselves: this package
imports none of them, so that it adds no import cycle and no start-up time.
"""
