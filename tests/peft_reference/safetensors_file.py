"""Reading .safetensors files with the Python standard library only.

The format, as the safetensors project documents it: an unsigned 64-bit
little-endian header length N, then N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
then the raw little-endian tensor bytes, offsets counted from the end of the
header. Values come back as Python floats (float64), decoded only when asked
for, so buffers of other dtypes (GPT-2's uint8 mask buffers) cost nothing.
"""
import json
import math
import struct

# dtype -> (struct code, bytes per value); BF16 is decoded through F32 below.
_STRUCT_CODES = {"F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2)}


class Tensor:
    """A shape and its values in row-major order (Python floats)."""

    def __init__(self, shape, values):
        self.shape = list(shape)
        self.values = values

    def rows(self):
        """A 2-D tensor as a list of rows."""
        if len(self.shape) != 2:
            raise ValueError("expected a 2-D tensor, got shape %s" % self.shape)
        width = self.shape[1]
        return [self.values[i * width:(i + 1) * width] for i in range(self.shape[0])]


class SafetensorsFile:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self._data = f.read()
        if len(self._data) < 8:
            raise ValueError("%s: shorter than a safetensors header" % path)
        (header_length,) = struct.unpack_from("<Q", self._data, 0)
        self._start = 8 + header_length
        if self._start > len(self._data):
            raise ValueError("%s: header length %d past the end of the file" % (path, header_length))
        header = json.loads(self._data[8:self._start].decode("utf-8"))
        self.metadata = header.pop("__metadata__", None) or {}
        self._entries = header

    def names(self):
        return list(self._entries)

    def __contains__(self, name):
        return name in self._entries

    def dtype(self, name):
        return self._entries[name]["dtype"]

    def shape(self, name):
        return list(self._entries[name]["shape"])

    def tensor(self, name):
        entry = self._entries[name]
        dtype, shape = entry["dtype"], entry["shape"]
        begin, end = entry["data_offsets"]
        raw = self._data[self._start + begin:self._start + end]
        count = math.prod(shape)
        if dtype == "BF16":
            # bfloat16 is the upper half of a float32: shift it into place.
            halves = struct.unpack("<%dH" % count, raw) if len(raw) == 2 * count else None
            if halves is None:
                raise ValueError("%s: %s has %d bytes for %d BF16 values" % (self.path, name, len(raw), count))
            values = list(struct.unpack("<%df" % count, struct.pack("<%dI" % count, *(h << 16 for h in halves))))
        elif dtype in _STRUCT_CODES:
            code, size = _STRUCT_CODES[dtype]
            if len(raw) != size * count:
                raise ValueError("%s: %s has %d bytes for %d %s values" % (self.path, name, len(raw), count, dtype))
            values = list(struct.unpack("<%d%s" % (count, code), raw))
        else:
            raise ValueError("%s: %s has dtype %s (the reference reads F64, F32, F16, BF16)" % (self.path, name, dtype))
        return Tensor(shape, values)
