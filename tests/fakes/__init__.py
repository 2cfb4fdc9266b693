"""Loopback fakes of outside services, run as real servers."""
