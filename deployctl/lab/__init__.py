"""The lab: a fleet of stage hosts on one machine, built with Vagrant (docker, virtualbox or libvirt)."""
