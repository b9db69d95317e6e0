"""C++ arithmetic ops: placeholder until the group lands."""

__all__ = []
