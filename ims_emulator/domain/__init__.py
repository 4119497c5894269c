"""The rules of the emulated services: no Flask, no SQL."""
