"""ims-emulator: a local emulator of Huawei Cloud IMS and CSBS (with ECS/EVS/CBR slices)."""

__version__ = "0.2.0"
