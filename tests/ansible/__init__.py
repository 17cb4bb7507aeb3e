"""Tests of the Ansible roles and playbooks against SSH test hosts on this machine."""
