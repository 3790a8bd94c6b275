-- mame_zoo bridge: the MAME side of the lockstep protocol (docs/protocol.md).
-- Loaded with -autoboot_script. Knows no game. Never compiles or runs received text: strings are only
-- used as table keys (port/field/device/space names) or file paths (save states).

-- MAME re-runs the autoboot script after a machine reset (soft_reset); the first instance keeps serving.
if MAME_ZOO_BRIDGE_LOADED then return end
MAME_ZOO_BRIDGE_LOADED = true

local PROTOCOL_VERSION = 2

local OP_STEP, OP_SET_READS, OP_READ, OP_WRITE, OP_FIELD, OP_SPACE = 1, 2, 3, 4, 5, 6
local OP_INPUTS, OP_SAVE, OP_LOAD, OP_SOFT_RESET, OP_EXIT, OP_MAP = 7, 8, 9, 10, 11, 12
local OP_SIGNAL, OP_TAP = 13, 14
local EDGE_FALL, EDGE_RISE = 0, 1
local ST_OK, ST_ERROR, ST_FATAL = 0, 1, 2
local E_INPUT, E_ADDRESS, E_REQUEST, E_STATE = 1, 2, 3, 4
local F_FRAME, F_MAXPOOL = 1, 2
local AGG_LAST, AGG_SUM, AGG_ALL = 0, 1, 2
-- the most values one read spec may ask for (mame_zoo/bridge/protocol.py MAX_READ_COUNT)
local MAX_COUNT_U8, MAX_COUNT_OTHER = 1 << 24, 1 << 16

-- value types: read method, write method, string.pack code, size in bytes
local TYPES = {
  [1] = { "read_u8", "write_u8", "B", 1 },
  [2] = { "read_i8", "write_i8", "b", 1 },
  [3] = { "read_u16", "write_u16", "I2", 2 },
  [4] = { "read_i16", "write_i16", "i2", 2 },
  [5] = { "read_u32", "write_u32", "I4", 4 },
  [6] = { "read_i32", "write_i32", "i4", 4 },
}

local spack, sunpack = string.pack, string.unpack
local machine = manager.machine
local fin = assert(io.open(assert(os.getenv("MAME_ZOO_IN"), "MAME_ZOO_IN not set"), "rb"))
local fout = assert(io.open(assert(os.getenv("MAME_ZOO_OUT"), "MAME_ZOO_OUT not set"), "wb"))
fout:setvbuf("full") -- C stdio's own buffer (Lua cannot give it a size): a reply leaves in a few writes
-- A frame step leaves ~300 KB of garbage: let the heap grow before collecting, so MAME does not stop for a
-- full collection every few steps.
collectgarbage("setpause", 1000)

local screen = nil
for _, s in pairs(machine.screens) do screen = s; break end

local fields, spaces = {}, {} -- id -> object, handed out by FIELD / SPACE
local readers = {}            -- the current read set (compiled)
local needs_every_frame = false
local remaining, step_frames, step_flags, step_seq = 0, 0, 0, 0
local pool_px = nil           -- the second-to-last frame of a MAXPOOL step
local dead = false
-- The frame signal (SIGNAL): write taps whose edge ends a frame instead of MAME's frame end; input taps (TAP)
-- put a field's value into the bits the game reads, at once (MAME latches set_value at its own frame end).
local signal_taps = nil       -- the installed write taps (kept referenced: a collected tap is removed)
local signal_level = false
local signal_longest = 0      -- a frame also ends at this many MAME frame ends without the signal (0: never)
local since_signal = 0        -- MAME frame ends since the last frame end
local input_taps = {}         -- installed read taps
local tapped = {}             -- field id -> the value the taps apply (sticky, like the field's)

-- A rejected request: reported to Python, the session goes on.
local Reject = {}
local function reject(kind, message) error(setmetatable({ kind = kind, message = message }, Reject), 0) end

local function str(s) return spack("<s2", s) end

-- Decode request fields; a body that does not decode is rejected (the session goes on), never fatal.
local function take(fmt, body, pos)
  local r = table.pack(pcall(sunpack, fmt, body, pos))
  if not r[1] then reject(E_REQUEST, "malformed request: " .. tostring(r[2])) end
  return table.unpack(r, 2, r.n)
end

local function expect_end(body, pos)
  if pos ~= #body + 1 then reject(E_REQUEST, "malformed request: " .. (#body + 1 - pos) .. " unexpected bytes") end
end

local function send(seq, status, body)
  fout:write(spack("<I4I4B", #body, seq, status), body)
  fout:flush()
end

-- A reply in several parts, written without joining them (a frame is ~150 KB: no extra copy).
local function send_parts(seq, parts)
  local n = 0
  for i = 1, #parts do n = n + #parts[i] end
  fout:write(spack("<I4I4B", n, seq, ST_OK), table.unpack(parts))
  fout:flush()
end

local function read_exact(n)
  if n == 0 then return "" end
  local data = fin:read(n)
  if data == nil or #data < n then return nil end
  return data
end

-- Read one request; nil when Python has gone away (EOF).
local function receive()
  local header = read_exact(9)
  if not header then return nil end
  local length, seq, op = sunpack("<I4I4B", header)
  local body = read_exact(length)
  if not body then return nil end
  return seq, op, body
end

-- Read specs ---------------------------------------------------------------------------------------
local function compile_spec(body, pos)
  local space_id, address, vtype, count, agg
  space_id, address, vtype, count, agg, pos = take("<I2I4BI4B", body, pos)
  local sp = spaces[space_id]
  if not sp then reject(E_ADDRESS, "unknown space id " .. space_id) end
  local t = TYPES[vtype]
  if not t then reject(E_REQUEST, "unknown value type " .. vtype) end
  if count < 1 then reject(E_REQUEST, "read count must be >= 1") end
  local max_count = vtype == 1 and MAX_COUNT_U8 or MAX_COUNT_OTHER
  if count > max_count then reject(E_REQUEST, "read count " .. count .. " is above the limit " .. max_count) end
  if agg > AGG_ALL then reject(E_REQUEST, "unknown aggregation " .. agg) end
  local size = t[4]
  local last = address + count * size - 1
  if last > sp.address_mask then
    reject(E_ADDRESS, string.format("address range 0x%X-0x%X is outside the space (mask 0x%X)", address,
      last, sp.address_mask))
  end
  local method = sp[t[1]]
  local fmt = "<" .. string.rep(t[3], count)
  local r = { agg = agg, count = count }
  if vtype == 1 and count > 1 then
    r.raw = function() return sp:read_range(address, last, 8) end
  elseif count == 1 then
    r.raw = function() return spack(fmt, method(sp, address)) end
  else
    r.raw = function()
      local v = {}
      for i = 0, count - 1 do v[i + 1] = method(sp, address + i * size) end
      return spack(fmt, table.unpack(v))
    end
  end
  r.values = function(into)
    for i = 0, count - 1 do into[i + 1] = into[i + 1] + method(sp, address + i * size) end
  end
  return r, pos
end

local function compile_specs(body, pos)
  local n
  n, pos = take("<I2", body, pos)
  local list, every = {}, false
  for i = 1, n do
    list[i], pos = compile_spec(body, pos)
    if list[i].agg ~= AGG_LAST then every = true end
  end
  expect_end(body, pos)
  return list, every
end

local function begin_reads()
  for _, r in ipairs(readers) do
    if r.agg == AGG_SUM then
      r.acc = {}
      for i = 1, r.count do r.acc[i] = 0 end
    elseif r.agg == AGG_ALL then
      r.acc = {}
    end
  end
end

local function sample_reads()
  for _, r in ipairs(readers) do
    if r.agg == AGG_SUM then r.values(r.acc)
    elseif r.agg == AGG_ALL then r.acc[#r.acc + 1] = r.raw() end
  end
end

local function collect_reads(list)
  local out = {}
  for i, r in ipairs(list) do
    if r.agg == AGG_LAST then out[i] = r.raw()
    elseif r.agg == AGG_SUM then out[i] = spack("<" .. string.rep("i8", r.count), table.unpack(r.acc))
    else out[i] = table.concat(r.acc) end
  end
  return table.concat(out)
end

-- Commands other than STEP -------------------------------------------------------------------------
-- A NUL would cut a name short on MAME's C++ side (":SWB\0x" would find ":SWB"): such names match nothing.
local function has_nul(s) return s:find("\0", 1, true) ~= nil end

local function lookup_field(port_tag, field_name)
  if has_nul(port_tag) or has_nul(field_name) then reject(E_INPUT, "input names cannot contain NUL bytes") end
  local port = machine.ioport.ports[port_tag]
  if not port then reject(E_INPUT, "no input port '" .. port_tag .. "'") end
  local field = port.fields[field_name]
  if not field then reject(E_INPUT, "input port '" .. port_tag .. "' has no field '" .. field_name .. "'") end
  return field
end

-- Every address of `address` with any combination of the `mirror` bits set (MAME's mirror notation).
local function mirrored(address, mirror)
  local out, bits = { address }, {}
  for b = 0, 31 do if mirror & (1 << b) ~= 0 then bits[#bits + 1] = 1 << b end end
  if #bits > 12 then reject(E_REQUEST, "mirror has more than 12 bits") end
  for _, bit in ipairs(bits) do
    for i = 1, #out do out[#out + 1] = out[i] | bit end
  end
  return out
end

local on_signal -- defined with the frame callbacks below

local function handle(op, body)
  if op == OP_SET_READS then
    local list, every = compile_specs(body, 1)
    readers, needs_every_frame = list, every
    return ""
  elseif op == OP_READ then
    local list = compile_specs(body, 1)
    for _, r in ipairs(list) do
      if r.agg ~= AGG_LAST then reject(E_REQUEST, "READ takes only LAST aggregation") end
    end
    return collect_reads(list)
  elseif op == OP_WRITE then
    local n, pos = take("<I2", body, 1)
    local writes = {}
    for i = 1, n do -- check every write before doing any
      local space_id, address, vtype, value
      space_id, address, vtype, value, pos = take("<I2I4Bi8", body, pos)
      local sp = spaces[space_id]
      if not sp then reject(E_ADDRESS, "unknown space id " .. space_id) end
      local t = TYPES[vtype]
      if not t then reject(E_REQUEST, "unknown value type " .. vtype) end
      if address + t[4] - 1 > sp.address_mask then
        reject(E_ADDRESS, string.format("address 0x%X is outside the space", address))
      end
      writes[i] = { sp, t[2], address, value }
    end
    expect_end(body, pos)
    for _, w in ipairs(writes) do w[1][w[2]](w[1], w[3], w[4]) end
    return ""
  elseif op == OP_FIELD then
    local port_tag, field_name, pos = take("<s2s2", body, 1)
    expect_end(body, pos)
    if #fields >= 0xFFFF then reject(E_REQUEST, "too many input fields looked up") end
    fields[#fields + 1] = lookup_field(port_tag, field_name)
    return spack("<I2", #fields)
  elseif op == OP_SPACE then
    local device_tag, space_name, pos = take("<s2s2", body, 1)
    expect_end(body, pos)
    if #spaces >= 0xFFFF then reject(E_REQUEST, "too many address spaces looked up") end
    if has_nul(device_tag) or has_nul(space_name) then reject(E_ADDRESS, "device and space names cannot contain NUL") end
    local device = machine.devices[device_tag]
    if not device then reject(E_ADDRESS, "no device '" .. device_tag .. "'") end
    local sp = device.spaces[space_name]
    if not sp then reject(E_ADDRESS, "device '" .. device_tag .. "' has no address space '" .. space_name .. "'") end
    spaces[#spaces + 1] = sp
    return spack("<I2BBI8", #spaces, sp.data_width, sp.endianness == "big" and 1 or 0, sp.address_mask)
  elseif op == OP_INPUTS then
    expect_end(body, 1)
    local out, n = {}, 0
    for port_tag, port in pairs(machine.ioport.ports) do
      for field_name, f in pairs(port.fields) do
        n = n + 1
        local analog = f.is_analog
        out[n] = spack("<s2s2I2BBI4i4i4i4", port_tag, field_name, f.type, f.player, analog and 1 or 0, f.mask,
          f.defvalue, analog and f.minvalue or 0, analog and f.maxvalue or 1)
      end
    end
    return spack("<I2", n) .. table.concat(out)
  elseif op == OP_SAVE or op == OP_LOAD then
    local path, pos = take("<s2", body, 1)
    expect_end(body, pos)
    if path == "" or has_nul(path) then reject(E_STATE, "bad save state path") end
    if op == OP_SAVE then machine:save(path) else machine:load(path) end
    return ""
  elseif op == OP_SOFT_RESET then
    expect_end(body, 1)
    machine:soft_reset()
    return ""
  elseif op == OP_MAP then
    local space_id, pos = take("<I2", body, 1)
    expect_end(body, pos)
    local sp = spaces[space_id]
    if not sp then reject(E_ADDRESS, "unknown space id " .. space_id) end
    local out, n = {}, 0
    for _, e in ipairs(sp.map.entries) do
      n = n + 1
      out[n] = spack("<I8I8s2s2", e.address_start, e.address_end, e.read.handlertype, e.write.handlertype)
    end
    return spack("<I2", n) .. table.concat(out)
  elseif op == OP_SIGNAL then
    local space_id, address, mirror, mask, edge, longest, pos = take("<I2I4I4BBI2", body, 1)
    expect_end(body, pos)
    signal_longest, since_signal = longest, 0
    if space_id == 0 then -- back to MAME's frame end
      if signal_taps then for _, t in ipairs(signal_taps) do t:remove() end end
      signal_taps = nil
      return ""
    end
    local sp = spaces[space_id]
    if not sp then reject(E_ADDRESS, "unknown space id " .. space_id) end
    if mask == 0 or edge > EDGE_RISE then reject(E_REQUEST, "signal needs a bit mask and edge 0 or 1") end
    if address + mirror > sp.address_mask then reject(E_ADDRESS, "signal address outside the space") end
    local taps = {}
    for _, a in ipairs(mirrored(address, mirror)) do
      taps[#taps + 1] = sp:install_write_tap(a, a, "mame_zoo_signal", function(_, data)
        local level = data & mask ~= 0
        local was = signal_level
        signal_level = level
        if was ~= level and level == (edge == EDGE_RISE) then on_signal() end
      end)
    end
    if signal_taps then for _, t in ipairs(signal_taps) do t:remove() end end
    signal_taps, signal_level = taps, false
    return ""
  elseif op == OP_TAP then
    local field_id, space_id, address, mirror, mask, active_low, pos = take("<I2I2I4I4BB", body, 1)
    expect_end(body, pos)
    if not fields[field_id] then reject(E_INPUT, "unknown field id " .. field_id) end
    local sp = spaces[space_id]
    if not sp then reject(E_ADDRESS, "unknown space id " .. space_id) end
    if mask == 0 then reject(E_REQUEST, "an input tap needs a bit mask") end
    if address + mirror > sp.address_mask then reject(E_ADDRESS, "tap address outside the space") end
    tapped[field_id] = tapped[field_id] or 0
    local on, off = 0, mask -- the bits read while the input is pressed / released
    if active_low == 0 then on, off = mask, 0 end
    local keep = ~mask
    for _, a in ipairs(mirrored(address, mirror)) do
      input_taps[#input_taps + 1] = sp:install_read_tap(a, a, "mame_zoo_input", function(_, data)
        return (data & keep) | (tapped[field_id] ~= 0 and on or off)
      end)
    end
    return ""
  end
  reject(E_REQUEST, "unknown opcode " .. op)
end

-- Answer requests until a STEP (returns true: emulate) or the end of the session (returns false).
local function serve()
  while true do
    local seq, op, body = receive()
    if not seq then return false end -- Python is gone
    if op == OP_STEP and #body < 5 then
      send(seq, ST_ERROR, spack("B", E_REQUEST) .. str("malformed request: STEP body of " .. #body .. " bytes"))
    elseif op == OP_STEP then
      local frames, flags, n, pos = sunpack("<I2BI2", body)
      if #body ~= 5 + 6 * n then
        send(seq, ST_ERROR, spack("B", E_REQUEST) .. str("malformed request: STEP body of " .. #body .. " bytes"))
      elseif frames < 1 then
        send(seq, ST_ERROR, spack("B", E_REQUEST) .. str("STEP needs at least 1 frame"))
      else
        local changes, bad = {}, nil
        for i = 1, n do
          local id, value
          id, value, pos = sunpack("<I2i4", body, pos)
          if not fields[id] then bad = id; break end
          changes[i] = { fields[id], value, id }
        end
        if bad then
          send(seq, ST_ERROR, spack("B", E_INPUT) .. str("unknown field id " .. bad))
          goto continue
        end
        for _, c in ipairs(changes) do
          c[1]:set_value(c[2])
          if tapped[c[3]] then tapped[c[3]] = c[2] end
        end
        remaining, step_frames, step_flags, step_seq = frames, frames, flags, seq
        pool_px = nil
        if needs_every_frame then begin_reads() end
        return true
      end
    elseif op == OP_EXIT then
      send(seq, ST_OK, "")
      return false
    else
      local ok, result = pcall(handle, op, body)
      if ok then
        send(seq, ST_OK, result)
      elseif getmetatable(result) == Reject then
        send(seq, ST_ERROR, spack("B", result.kind) .. str(result.message))
      else
        error(result, 0)
      end
    end
    ::continue::
  end
end

local function hello()
  local w, h, hz = 0, 0, 0.0
  if screen then w, h, hz = screen.width, screen.height, screen.refresh end
  local body = spack("<I2", PROTOCOL_VERSION) .. str(emu.app_version()) .. str(machine.system.name)
    .. str(machine.system.description) .. spack("<I2I2dI4", w, h, hz, screen and screen:frame_number() or 0)
  send(0, ST_OK, body)
end

local started = false

-- The end of one frame of a step (MAME's, or the game's signal): sample, and at the step's last frame reply
-- and serve the next requests (emulation waits here).
local function end_frame()
  if not started then
    started = true
    hello()
  else
    if needs_every_frame then sample_reads() end
    remaining = remaining - 1
    if remaining == 1 and step_flags & F_MAXPOOL ~= 0 and step_flags & F_FRAME ~= 0 and screen then
      pool_px = (screen:pixels()) -- only the pixel string; pixels() also returns width and height
    end
    if remaining > 0 then return end
    local parts = { spack("<I4", screen and screen:frame_number() or 0), collect_reads(readers) }
    if step_flags & F_FRAME ~= 0 then
      if screen then
        local px = (screen:pixels())
        if pool_px then
          parts[#parts + 1] = spack("<I2I2B", screen.width, screen.height, 2)
          parts[#parts + 1] = pool_px
        else
          parts[#parts + 1] = spack("<I2I2B", screen.width, screen.height, 1)
        end
        parts[#parts + 1] = px
      else
        parts[#parts + 1] = spack("<I2I2B", 0, 0, 0)
      end
    end
    pool_px = nil
    send_parts(step_seq, parts)
  end
  if not serve() then
    dead = true
    machine:exit()
  end
end

local function end_frame_guarded()
  if dead then return end
  local ok, err = xpcall(end_frame, debug.traceback)
  if not ok then
    dead = true
    pcall(send, step_seq, ST_FATAL, tostring(err))
    machine:exit()
  end
end

-- MAME's frame end ends a frame unless the game declared a signal (the first one always says hello), or the
-- signal has not come for signal_longest of MAME's frames.
local function on_frame_guarded()
  if signal_taps and started then
    if signal_longest == 0 then return end
    since_signal = since_signal + 1
    if since_signal < signal_longest then return end
  end
  since_signal = 0
  end_frame_guarded()
end

on_signal = function()
  since_signal = 0
  end_frame_guarded()
end

-- Step on frame_done on every version that has it (0.251 to 0.289; it is not deprecated). The machine frame
-- notifier of newer MAME fires at another point of the frame: save/load and frame skip would not be exact.
-- Keep a subscription referenced: newer MAME unsubscribes when it is garbage collected.
if emu.register_frame_done then
  emu.register_frame_done(on_frame_guarded)
else
  MAME_ZOO_SUBSCRIPTION = emu.add_machine_frame_notifier(on_frame_guarded)
end
