"""C++ complex_parts ops: placeholder until the group lands."""

__all__ = []
