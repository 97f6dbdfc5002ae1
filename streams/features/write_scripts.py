"""The online store's guarded writes: Lua run by Redis, so no older row replaces a newer one.

A row's first 38 bytes are its header (see ``row_codec``): the big-endian max event time and
applied count the scripts compare, then the view version.
"""

from __future__ import annotations

# A row replaces the stored one unless that is newer: larger max event time, or the same one
# and more events applied. A row of another view version (bytes 33..38) is always replaced.
# Only the stored row's header is read (GETRANGE): a whole row is kilobytes to copy into Lua.
_WRITE_ROW = """
local function write_row(key, new, ttl)
  local old = redis.call('GETRANGE', key, 0, 37)
  if old and #old >= 38 and string.sub(old, 33, 38) == string.sub(new, 33, 38) then
    local function u64(s, at)
      local n = 0
      for i = at, at + 7 do n = n * 256 + string.byte(s, i) end
      return n
    end
    local old_t, new_t = u64(old, 1), u64(new, 1)
    if old_t > new_t or (old_t == new_t and u64(old, 9) > u64(new, 9)) then
      return 0
    end
  end
  redis.call('SET', key, new, 'PX', ttl)
  return 1
end
"""
# One key: KEYS[1], ARGV = (row, ttl ms). Used on Redis Cluster, where keys of one script
# call must share a slot.
WRITE_IF_NEWER = _WRITE_ROW + "return write_row(KEYS[1], ARGV[1], ARGV[2])\n"
# Many keys of one server: ARGV = (one row per key..., ttl ms); returns the rows written.
# One call instead of one per row: the per-command cost dominated the aggregator's writes.
WRITE_MANY_IF_NEWER = (
    _WRITE_ROW
    + """
local ttl, written = ARGV[#ARGV], 0
for i = 1, #KEYS do written = written + write_row(KEYS[i], ARGV[i], ttl) end
return written
"""
)
