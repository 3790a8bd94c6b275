-- mame_zoo bridge: the MAME side of the lockstep protocol (docs/protocol.md).
-- Loaded with -autoboot_script. Knows no game. Never compiles or runs received text: strings are only
-- used as table keys (port/field/device/space names) or file paths (save states).

-- MAME re-runs the autoboot script after a machine reset (soft_reset), before the CPU's first instruction: the
-- first instance keeps serving, and restarts there what RESTART armed (a timer, where scanlines start).
if MAME_ZOO_BRIDGE_LOADED then
  if MAME_ZOO_AFTER_RESET then MAME_ZOO_AFTER_RESET() end
  return
end
MAME_ZOO_BRIDGE_LOADED = true

local PROTOCOL_VERSION = 6

local OP_STEP, OP_SET_READS, OP_READ, OP_WRITE, OP_FIELD, OP_SPACE = 1, 2, 3, 4, 5, 6
local OP_INPUTS, OP_SAVE, OP_LOAD, OP_SOFT_RESET, OP_EXIT, OP_MAP = 7, 8, 9, 10, 11, 12
local OP_SIGNAL, OP_TAP, OP_CHARGE, OP_BUS, OP_RESTART, OP_SCREEN, OP_EARLY = 13, 14, 15, 16, 17, 18, 19
local EDGE_FALL, EDGE_RISE = 0, 1
local BUS_STELLA_6502, BUS_HIGH = 1, 2
local ST_OK, ST_ERROR, ST_FATAL = 0, 1, 2
local E_INPUT, E_ADDRESS, E_REQUEST, E_STATE = 1, 2, 3, 4
local F_FRAME, F_MAXPOOL = 1, 2
local PX_BGRA, PX_PEN16 = 0, 1
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
local floor = math.floor
local machine = manager.machine
local fin = assert(io.open(assert(os.getenv("MAME_ZOO_IN"), "MAME_ZOO_IN not set"), "rb"))
local fout = assert(io.open(assert(os.getenv("MAME_ZOO_OUT"), "MAME_ZOO_OUT not set"), "wb"))
fout:setvbuf("full") -- C stdio's own buffer (Lua cannot give it a size): a reply leaves in a few writes
-- A frame step leaves ~160 KB of garbage. The collector does not run on its own: serve() gives it a step's worth
-- of work right after each reply, while Python handles the reply and emulation waits anyway.
collectgarbage("stop")
local gc_step_kb = 0

local screen = nil
for _, s in pairs(machine.screens) do screen = s; break end

local fields, spaces, devices = {}, {}, {} -- id -> object, handed out by FIELD / SPACE (devices: the space's)
local readers = {}            -- the current read set (compiled)
local needs_every_frame = false
local remaining, step_frames, step_flags, step_seq = 0, 0, 0, 0
local pool_px = nil           -- the second-to-last frame of a MAXPOOL step
local dead = false
-- Input changes of the running step that apply later than its first frame (STEP's frame > 0), in frame order;
-- kept in arrays that are reused from step to step.
local later_frame, later_field, later_value, later_id = {}, {}, {}, {}
local later_n, later_i = 0, 1
-- The frame signal (SIGNAL): write taps whose edge ends a frame instead of MAME's frame end; input taps (TAP,
-- CHARGE) put a field's value into the bits the game reads, at once (MAME takes digital values in at its own
-- frame end).
local signal_taps = nil       -- the installed write taps (kept referenced: a collected tap is removed)
local signal_level = false
local opposite_at = nil       -- when the signal's bit last changed the other way (the 2600: VSYNC on)
local signal_longest = 0      -- a frame also ends at this many MAME frame ends without the signal (0: never)
local since_signal = 0        -- MAME frame ends since the last frame end
local limit_taps = nil        -- SIGNAL's length limit: write taps ending a frame that has run too many lines
local limit_lines, line_cycles = 0, 0
local limit_at = math.huge    -- the time (seconds) from which a limit-range write ends the frame
local cpu_hz = 0              -- the clock whose cycles SIGNAL's limit and CHARGE count
local frame_start = 0.0       -- when the current frame began (seconds): its signal, its limit or a reset
local last_end = -1.0         -- when the last frame ended: one write never ends two frames
local input_taps = {}         -- installed read taps (TAP, CHARGE, BUS)
local tapped = {}             -- field id -> the value the taps apply (sticky, like the field's)
local triggers = {}           -- CHARGE's triggers: key -> { level = bool, release = seconds }
local line_origin = 0.0       -- where the CPU's scanlines start (seconds): its first instruction after a reset
local refreshing = false      -- inside pixels(): MAME frame_done callbacks from its screen updates are no frames

-- A rejected request: reported to Python, the session goes on.
local Reject = {}
local function reject(kind, message) error(setmetatable({ kind = kind, message = message }, Reject), 0) end

local function str(s) return spack("<s2", s) end

-- Emulated time in seconds; inside a memory tap it is the running CPU's own time, exact to the cycle
-- (emu.time: machine.time's double without building its attotime object).
local now = emu.time
local function cycles(seconds) return floor(seconds * cpu_hz + 0.5) end

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
-- Per-frame values (SUM, ALL) are kept as integers in tables reused from step to step and packed once, when
-- the step replies; large u8 blocks (ALL) keep each frame's block string.
local BLOCK = 16 -- u8 reads of more values than this are read as one block (read_range)
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
  local r = { agg = agg, count = count, code = t[3], frames = 0, vals = {}, fmts = {} }
  if vtype == 1 and count > 1 then
    r.raw = function() return sp:read_range(address, last, 8) end
  elseif count == 1 then
    local fmt = "<" .. t[3]
    r.raw = function() return spack(fmt, method(sp, address)) end
  else
    local fmt = "<" .. string.rep(t[3], count)
    r.raw = function()
      local v = {}
      for i = 0, count - 1 do v[i + 1] = method(sp, address + i * size) end
      return spack(fmt, table.unpack(v))
    end
  end
  r.blocks = agg == AGG_ALL and vtype == 1 and count > BLOCK
  -- add this frame's values into vals from position base + 1 (SUM: base 0, adding up; ALL: stored)
  if agg == AGG_SUM then
    r.sample = function(vals)
      for i = 0, count - 1 do vals[i + 1] = vals[i + 1] + method(sp, address + i * size) end
    end
  else
    r.sample = function(vals, base)
      for i = 0, count - 1 do vals[base + i + 1] = method(sp, address + i * size) end
    end
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
    r.frames = 0
    if r.agg == AGG_SUM then
      local vals = r.vals
      for i = 1, r.count do vals[i] = 0 end
    end
  end
end

local function sample_reads()
  for _, r in ipairs(readers) do
    if r.agg == AGG_SUM then
      r.sample(r.vals)
    elseif r.agg == AGG_ALL then
      if r.blocks then r.vals[r.frames + 1] = r.raw() else r.sample(r.vals, r.frames * r.count) end
      r.frames = r.frames + 1
    end
  end
end

local function packed(r, code, n)
  local fmt = r.fmts[n]
  if not fmt then
    fmt = "<" .. string.rep(code, n)
    r.fmts[n] = fmt
  end
  return spack(fmt, table.unpack(r.vals, 1, n))
end

local function collect_reads(list)
  local out = {}
  for i, r in ipairs(list) do
    if r.agg == AGG_LAST then out[i] = r.raw()
    elseif r.agg == AGG_SUM then out[i] = packed(r, "i8", r.count)
    elseif r.blocks then out[i] = table.concat(r.vals, "", 1, r.frames)
    else out[i] = packed(r, r.code, r.frames * r.count) end
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

local function space_of(space_id)
  local sp = spaces[space_id]
  if not sp then reject(E_ADDRESS, "unknown space id " .. space_id) end
  return sp
end

local function check_range(sp, first, last, mirror, what)
  if first > last or last + mirror > sp.address_mask then
    reject(E_ADDRESS, what .. " address range outside the space")
  end
end

-- Writes as WRITE and SOFT_RESET carry them: every one checked before any is done.
local function take_writes(body, pos)
  local n
  n, pos = take("<I2", body, pos)
  local writes = {}
  for i = 1, n do
    local space_id, address, vtype, value
    space_id, address, vtype, value, pos = take("<I2I4Bi8", body, pos)
    local sp = space_of(space_id)
    local t = TYPES[vtype]
    if not t then reject(E_REQUEST, "unknown value type " .. vtype) end
    if address + t[4] - 1 > sp.address_mask then
      reject(E_ADDRESS, string.format("address 0x%X is outside the space", address))
    end
    writes[i] = { sp, t[2], address, value }
  end
  expect_end(body, pos)
  return writes
end

local function do_writes(writes)
  for _, w in ipairs(writes) do w[1][w[2]](w[1], w[3], w[4]) end
end

-- Stella's (ALE's) 6502 core, as ALE runs it ("low" compatibility), leaves on the data bus, just before an
-- instruction reads its operand: 1 the operand byte (zero page, zero page indexed), 2 the operand's high byte
-- (absolute, absolute indexed), 3 and 4 the pointer's high byte ((zp,X), (zp),Y); 0: not a memory read.
local BUS_MODE = {}
for op = 0, 255 do
  local group, mode = op & 3, (op >> 2) & 7
  local alu = group == 1 or group == 3
  BUS_MODE[op] = (mode == 1 or mode == 5) and 1 or (mode == 3 or mode == 7 or (mode == 6 and alu)) and 2
    or (mode == 0 and alu) and 3 or (mode == 4 and alu) and 4 or 0
end

local function install_bus(space_id, first, last, mirror, mask, model)
  local sp = space_of(space_id)
  check_range(sp, first, last, mirror, "bus")
  if model == BUS_HIGH then
    for _, m in ipairs(mirrored(0, mirror)) do
      input_taps[#input_taps + 1] = sp:install_read_tap(first | m, last | m, "mame_zoo_bus", function(_, data)
        return data | mask
      end)
    end
    return
  end
  if model ~= BUS_STELLA_6502 then reject(E_REQUEST, "unknown data bus model " .. model) end
  -- the CPU's registers read as save items, in place: a state entry's value (device.state) first runs all of the
  -- machine's pre-save hooks (~20 us a read measured), an item's read does not (~0.3 us)
  local items = devices[space_id].items
  local function register(name) -- MAME 0.289 names them after the members (m_IR)
    local index = items["0/" .. name] or items["0/m_" .. name]
    if not index then reject(E_ADDRESS, "the space's device is not a 6502 family CPU (it saves no " .. name .. ")") end
    return emu.item(index)
  end
  local ir, ppc, xreg = register("IR"), register("PPC"), register("X")
  local keep = ~mask & 0xFF
  local function ram(a) -- a pointer byte: only zero-page RAM is read again (anything else could have effects)
    if a < 0x80 or a > 0xFF then return nil end
    return sp:read_u8(a)
  end
  for _, m in ipairs(mirrored(0, mirror)) do
    input_taps[#input_taps + 1] = sp:install_read_tap(first | m, last | m, "mame_zoo_bus", function(_, data)
      local mode = BUS_MODE[ir:read(0)]
      if mode == 0 then return data end
      local pc = ppc:read(0)
      local bus
      if mode == 1 then bus = sp:read_u8(pc + 1)
      elseif mode == 2 then bus = sp:read_u8(pc + 2)
      elseif mode == 3 then bus = ram(((sp:read_u8(pc + 1) + xreg:read(0)) & 0xFF) + 1)
      else bus = ram(sp:read_u8(pc + 1) + 1) end
      if not bus then return data end
      return (data & keep) | (bus & mask)
    end)
  end
end

-- A device by tag, and one of its save items by name; a request naming either wrongly is rejected.
local function device_of(tag)
  local device = not has_nul(tag) and machine.devices[tag]
  if not device then reject(E_ADDRESS, "no device '" .. tag .. "'") end
  return device
end

local function save_item(device, tag, name)
  local index = not has_nul(name) and device.items[name]
  if not index then reject(E_ADDRESS, "device '" .. tag .. "' saves no item '" .. name .. "'") end
  return emu.item(index)
end

-- EARLY: writes of `first`..`last` (and mirrors) take effect from the pixel they happen at. A write tap runs just
-- before the device's handler: it reads `catch_up` (the device draws up to the beam: the 2600 TIA on a collision
-- register's read) and sets the register's save item to the written value, so the handler's own drawing, one
-- colour clock on (MAME's TIA for ENAM0, ENAM1, ENABL), already uses it, as Stella's TIA does. A write that
-- leaves the register as it is needs neither (most of them: games rewrite these registers on every line).
local function install_early(space_id, first, last, mirror, catch_up, tag, names)
  local sp = space_of(space_id)
  check_range(sp, first, last, mirror, "early write")
  check_range(sp, catch_up, catch_up, 0, "catch-up read")
  if #names ~= last - first + 1 then reject(E_REQUEST, "an early write needs one save item per register") end
  local device = device_of(tag)
  local items = {}
  for i, name in ipairs(names) do items[i] = save_item(device, tag, name) end
  for _, m in ipairs(mirrored(0, mirror)) do
    input_taps[#input_taps + 1] = sp:install_write_tap(first | m, last | m, "mame_zoo_early", function(offset, data)
      local item = items[(offset & ~mirror) - first + 1]
      if item:read(0) == data then return end -- unchanged: the handler draws what it would have drawn anyway
      sp:read_u8(catch_up)
      item:write(0, data)
    end)
  end
end

-- A trigger of CHARGE taps: writes of `address` (and mirrors) whose `mask` bits are set hold the charge at 0
-- (the 2600's VBLANK dumping the paddle capacitors); clearing them releases it.
local function trigger_for(space_id, sp, address, mirror, mask)
  local key = string.format("%d:%d:%d:%d", space_id, address, mirror, mask)
  local t = triggers[key]
  if t then return t end
  t = { level = false, release = 0.0, taps = {} }
  for _, a in ipairs(mirrored(address, mirror)) do
    t.taps[#t.taps + 1] = sp:install_write_tap(a, a, "mame_zoo_trigger", function(_, data)
      local level = data & mask ~= 0
      if t.level and not level then t.release = now() end
      t.level = level
    end)
  end
  triggers[key] = t
  return t
end

local function install_charge(field_id, space_id, address, mirror, mask, trigger_address, trigger_mirror,
                              trigger_mask, hz)
  if not fields[field_id] then reject(E_INPUT, "unknown field id " .. field_id) end
  local sp = space_of(space_id)
  check_range(sp, address, address, mirror, "charge")
  check_range(sp, trigger_address, trigger_address, trigger_mirror, "charge trigger")
  if mask == 0 or trigger_mask == 0 or hz == 0 then reject(E_REQUEST, "a charge tap needs masks and a clock") end
  cpu_hz = hz
  local t = trigger_for(space_id, sp, trigger_address, trigger_mirror, trigger_mask)
  tapped[field_id] = tapped[field_id] or 0
  local keep = ~mask & 0xFF
  for _, a in ipairs(mirrored(address, mirror)) do
    input_taps[#input_taps + 1] = sp:install_read_tap(a, a, "mame_zoo_charge", function(_, data)
      local needed = tapped[field_id]
      local charged
      if needed < 0 then charged = true
      elseif t.level then charged = false
      else
        -- cycles since the release, counted as Stella does from the frame's start: a release more than `needed`
        -- cycles before the frame began wraps its unsigned sum and reads as not charged
        local released = cycles(t.release - frame_start)
        charged = released + needed >= 0 and cycles(now() - frame_start) > released + needed
      end
      return charged and (data & keep) | mask or data & keep
    end)
  end
end

-- SCREEN: the frame comes from a device's own double-buffered indexed bitmap (save items): the buffer the
-- selector does not name is the last complete frame, sent as whole rows of u16 palette indices. With a frame
-- signal and rows of `row_cycles` CPU cycles, its rows follow the frame's signal: the device starts a bitmap at
-- the signal's opposite edge, and the frame's signal came that many rows into it (frame_rows: the frame being
-- drawn, done_rows: the complete one)
local pen_screen = nil
local frame_rows, done_rows = 0, 0

-- SCREEN: take frames of `height` rows (0: the screen's) from `tag`'s bitmap, save items `first` and `second`
-- (u16 palette indices, `row_pixels` a row) of which `selector` (0 or 1) names the one being drawn; the visible
-- area starts at row `top`, column `left`. Replies with the device palette's first `colours` colours (A,R,G,B).
local function set_pen_screen(row_pixels, top, left, colours, row_cycles, height, tag, first, second, selector)
  if not screen then reject(E_REQUEST, "the machine has no screen") end
  local device = device_of(tag)
  local palette = machine.palettes[tag]
  if not palette then reject(E_ADDRESS, "device '" .. tag .. "' has no palette") end
  if colours == 0 or colours > palette.entries then
    reject(E_REQUEST, "the palette of '" .. tag .. "' has " .. palette.entries .. " colours, not " .. colours)
  end
  local buffers = { save_item(device, tag, first), save_item(device, tag, second) }
  local sel = save_item(device, tag, selector)
  height = height > 0 and height or screen.height
  local rows = top + height
  if row_pixels < left + screen.width then
    reject(E_REQUEST, "rows of " .. row_pixels .. " pixels are narrower than the screen")
  end
  for _, b in ipairs(buffers) do
    if b.size ~= 2 or b.count < rows * row_pixels then
      reject(E_REQUEST, "save items '" .. first .. "' and '" .. second .. "' are not " .. rows .. " rows of u16 pens")
    end
  end
  pen_screen = { buffers = buffers, selector = sel, row_pixels = row_pixels, top = top, row_cycles = row_cycles,
                 height = height, last_top = buffers[1].count // row_pixels - height, bytes = height * row_pixels * 2 }
  local out = { spack("<I2", colours) }
  for i = 0, colours - 1 do out[#out + 1] = spack("<I4", palette:pen_color(i)) end
  return table.concat(out)
end

local end_frame_by_limit -- defined with the frame callbacks below

-- When the current frame has run more than limit_lines lines: lines of line_cycles CPU cycles from line_origin,
-- counted as Stella counts them, from the end of the instruction that ended the last frame (one cycle after the
-- write at frame_start) to the end of a writing instruction (one cycle after its write).
local function limit_time()
  if not limit_taps or frame_start == -math.huge then return math.huge end -- (where a loaded frame began is not known)
  local line = (cycles(frame_start - line_origin) + 1) // line_cycles
  return line_origin + ((line + limit_lines + 1) * line_cycles - 1.5) / cpu_hz
end

-- RESTART: what Stella's System::reset does that MAME's machine reset does not, armed for the next reset. Stella
-- starts the CPU's first instruction on a scanline's first cycle and its RIOT timer at a random value; MAME's CPU
-- first spends cycles on its reset sequence (its TIA counts lines from the reset) and its timer runs on (0.276 and
-- later) or restarts at 255 x 1024 (0.251). The bridge sees the first instruction one cycle after the CPU reads
-- `vector` (the reset vector's high byte); it then moves the line origin (save item `item` of device `device`, in
-- cycles since the reset) there, and makes timer reads (`rfirst`..`rlast`; odd addresses read the interrupt flag)
-- see Stella's timer of `intervals` x 64 cycles, as Stella's M6532 reads it, expired timers included, counted from
-- one cycle after the first instruction's first (measured: Maze Craze seeds its maze from a read of this timer as
-- it runs out; ALE's maze for each timer is MAME's only so), until the game writes a timer register
-- (`wfirst`..`wlast`). With `in_play`, the timer reads stay Stella's after that, from each write (its value, and
-- the interval of the register written: 1, 8, 64 or 1024 cycles): a timer read after it expired goes on counting
-- in intervals, where MAME's counts cycles. The taps then run on every timer read of the game (games poll the
-- timer in loops: it costs).
local restart = nil
local SHIFTS = { [0] = 0, 3, 6, 10 } -- a timer write's interval (log2 cycles) by the register's low two bits

local function timer_value(r, seconds, flag)
  local delta = cycles(seconds - r.first)
  local value, shift = r.value, r.shift
  local left = value - (delta >> shift) - 1
  if flag then return (left >= 0 or r.after_irq) and 0x00 or 0x80 end
  if left >= 0 then return left & 0xFF end
  left = (value << shift) - delta - 1
  if left <= -2 and not r.after_irq then
    r.after_irq, r.irq_reset = true, delta + 1
  end
  if r.after_irq then left = value - (delta >> shift) - (r.irq_reset - (value << shift)) end
  return left & 0xFF
end

local function install_restart(space_id, vector, rfirst, rlast, rmirror, wfirst, wlast, wmirror, intervals, hz,
                               first_cycles, in_play, device_tag, item_name)
  local sp = space_of(space_id)
  check_range(sp, vector, vector, 0, "reset vector")
  check_range(sp, rfirst, rlast, rmirror, "timer read")
  check_range(sp, wfirst, wlast, wmirror, "timer write")
  if hz == 0 then reject(E_REQUEST, "a restart needs the CPU clock") end
  local item = nil
  if device_tag ~= "" then item = save_item(device_of(device_tag), device_tag, item_name) end
  cpu_hz = hz
  local key = table.concat({ space_id, vector, rfirst, rlast, rmirror, wfirst, wlast, wmirror, tostring(in_play),
    device_tag, item_name }, ":")
  if restart and restart.key == key then -- armed again for the next reset
    restart.intervals, restart.armed = intervals, true
    return
  end
  if restart then -- a new set-up replaces the old one
    restart.vector_tap:remove()
    restart.disarm(true)
  end
  local r = { armed = false, active = false, item = item, taps = nil, key = key, first_cycles = first_cycles }
  r.vector_tap = sp:install_read_tap(vector, vector, "mame_zoo_restart", function(_, data)
    if r.active and not r.first then
      local t = now() -- the vector's read: the first instruction starts a cycle later, Stella's timer two
      r.first = t + 2 / cpu_hz
      line_origin, frame_start = t + 1 / cpu_hz, t
      limit_at = limit_time()
      if r.item then r.item:write(0, r.first_cycles) end
    end
    return data
  end)
  -- the timer taps live from a reset to the end of the frame in which the game sets a timer (INTIM is polled in
  -- loops: they would cost on every read)
  r.arm = function()
    if r.taps then return end
    r.taps = {}
    for _, m in ipairs(mirrored(0, rmirror)) do
      r.taps[#r.taps + 1] = sp:install_read_tap(rfirst | m, rlast | m, "mame_zoo_restart", function(offset, data)
        if not (r.active and r.first) then return data end
        return timer_value(r, now(), offset & 1 == 1)
      end)
    end
    for _, m in ipairs(mirrored(0, wmirror)) do
      r.taps[#r.taps + 1] = sp:install_write_tap(wfirst | m, wlast | m, "mame_zoo_restart", function(offset, data)
        if in_play then -- Stella's timer set (myCyclesWhenTimerSet: the end of the writing instruction)
          r.value, r.shift, r.first, r.after_irq, r.active = data, SHIFTS[offset & 3], now() + 1 / cpu_hz, false, true
        else
          r.active = false
        end
      end)
    end
  end
  r.disarm = function(always) -- (in play, the taps stay: a state loaded without the timer has it from a write on)
    if not r.taps or ((r.active or in_play) and not always) then return end
    for _, tap in ipairs(r.taps) do tap:remove() end
    r.taps = nil
  end
  r.intervals = intervals
  r.armed = true
  restart = r
end

local function set_limit(sp, lines, per_line, first, last, mirror)
  if limit_taps then for _, t in ipairs(limit_taps) do t:remove() end end
  limit_taps, limit_at = nil, math.huge
  if lines == 0 then return end
  if per_line == 0 then reject(E_REQUEST, "a frame length limit needs the cycles of a line") end
  check_range(sp, first, last, mirror, "limit")
  local taps = {}
  for _, m in ipairs(mirrored(0, mirror)) do
    taps[#taps + 1] = sp:install_write_tap(first | m, last | m, "mame_zoo_limit", function()
      if now() >= limit_at then end_frame_by_limit() end
    end)
  end
  limit_taps, limit_lines, line_cycles = taps, lines, per_line
end

-- SIGNAL's instruction limit, Stella's: ALE's frame (one TIA::update) runs at most `count` instructions; a TV
-- frame that has not ended by then goes on in the next step. MAME's Lua has no per-instruction hook, so a model
-- of MAME's 6502 bus finds the opcode fetches among the reads of the code range: after an opcode come its operand
-- reads (one dummy read for a one-byte instruction), then the fetch at the next address, or, for jumps, returns
-- and interrupts, at the next code read; a branch's outcome shows in the read after the byte behind it (a branch
-- over one implied instruction, in the one after that). Where the model cannot tell (a branch over another
-- one-byte instruction, a reset, a KIL, more data reads than an instruction makes), it compares reads with the
-- CPU's PC, which is slow on some MAME versions (0.251: 25 us). Every code read is a Lua call: it costs.
local instructions = nil -- { taps, frame_ended(), reset(), snapshot(), restore(fields) }
local end_frame_by_instructions -- defined with the frame callbacks below

local op_seq, op_imp, op_rel, op_jmp, op_jmpi, op_rts, op_rti, op_brk, op_kil = 1, 2, 3, 4, 5, 6, 7, 8, 9
local op_length, op_kind = {}, {} -- the NMOS 6502's opcodes (documented or not): length, how the next is fetched
for o = 0, 255 do
  local col, len, kind = o & 0x1F, 2, op_seq
  if col == 0x08 or col == 0x0A or col == 0x18 or col == 0x1A then len, kind = 1, op_imp
  elseif (col >= 0x0C and col <= 0x0F) or col == 0x19 or col >= 0x1B then len = 3
  elseif col == 0x10 then kind = op_rel
  elseif col == 0x12 or (col == 0x02 and o < 0x80) then len, kind = 1, op_kil
  end
  if o == 0x00 then len, kind = 1, op_brk
  elseif o == 0x20 or o == 0x4C then len, kind = 3, op_jmp
  elseif o == 0x6C then len, kind = 3, op_jmpi
  elseif o == 0x40 then len, kind = 1, op_rti
  elseif o == 0x60 then len, kind = 1, op_rts
  end
  op_length[o], op_kind[o] = len, kind
end
-- the reads the model waits for: the fetch (any code read where `want` is -1, else the one at `want`); operands
-- to skip; a branch's offset and the reads after it; an indirect jump's pointer; a read at the PC (sync)
local wait_sync, wait_fetch, wait_skip, wait_rel, wait_br1, wait_br2, wait_br3 = 1, 2, 3, 4, 5, 6, 7
local wait_ptr1, wait_ptr2 = 8, 9

-- The PC of a space's device, checked to be a 6502 (the model is its bus).
local function pc_of_6502(device)
  local pc_entry = device.state and device.state["PC"]
  if not pc_entry or not device.shortname:match("^m65") then
    reject(E_REQUEST, "an instruction limit needs a 6502-family CPU; '" .. device.tag .. "' is " .. device.shortname)
  end
  return pc_entry
end

local function instruction_limit(sp, pc_entry, count, first, last, mirror)
  local mask, page = sp.address_mask, sp.address_mask & ~0xFF
  local n, phase, want, skip, at, target, x1a, x1d, x2a, x2d, lo = 0, wait_sync, -1, 0, 0, 0, 0, 0, 0, 0, 0
  local strays = 0 -- code reads that were not the fetch awaited at `want`
  local read

  local function fetched(offset, data) -- the opcode `data` fetched at `offset`
    if n == count then -- it is the first instruction of the next frame
      n = 1
      end_frame_by_instructions()
    else
      n = n + 1
    end
    local kind = op_kind[data]
    at = offset
    if kind == op_seq then
      local len = op_length[data]
      phase, skip, want, strays = wait_skip, len - 1, (offset + len) & mask, 0
    elseif kind == op_imp or kind == op_rti then phase, skip, want = wait_skip, 1, -1
    elseif kind == op_jmp or kind == op_rts then phase, skip, want = wait_skip, 2, -1
    elseif kind == op_brk then phase, skip, want = wait_skip, 3, -1
    elseif kind == op_rel then phase = wait_rel
    elseif kind == op_jmpi then phase = wait_ptr1
    else phase = wait_sync -- KIL: the CPU stops until a reset
    end
  end

  local function taken_at_pc() return (pc_entry.value & mask) == target end

  read = function(offset, data)
    if phase == wait_skip then
      skip = skip - 1
      if skip == 0 then phase = wait_fetch end
    elseif phase == wait_fetch then
      if want < 0 or offset == want then fetched(offset, data)
      else -- a data read: an instruction makes at most two before the next fetch (else the model is lost)
        strays = strays + 1
        if strays > 2 then phase = wait_sync end
      end
    elseif phase == wait_rel then
      target = (at + 2 + data - ((data & 0x80) << 1)) & mask
      phase = wait_br1
    elseif phase == wait_br1 then -- the byte after the branch: the next opcode, or a dummy read if taken
      x1a, x1d, phase = offset, data, wait_br2
    elseif phase == wait_br2 then
      local after = (at + 3) & mask
      if target == after then -- a branch over one byte: both ways read the same two addresses
        if op_kind[x1d] == op_imp and n < count then -- an implied instruction behind: the next read tells
          x2a, x2d, phase = offset, data, wait_br3
        elseif taken_at_pc() then fetched(offset, data)
        else fetched(x1a, x1d); read(offset, data) end
      elseif offset == target then fetched(offset, data) -- taken
      elseif offset == after then fetched(x1a, x1d); read(offset, data) -- not taken: the byte after was the opcode
      elseif offset == ((at + 2) & page) | (target & 0xFF) then -- taken, across a page: a dummy read
        phase, want, strays = wait_fetch, target, 0
      else phase = wait_sync end
    elseif phase == wait_br3 then
      if offset == (at + 3) & mask then -- not taken: the one-byte instruction ran (its dummy read), the next fetched
        fetched(x1a, x1d); read(x2a, x2d); read(offset, data)
      else -- taken: the instruction behind the byte was fetched, this is its second read
        fetched(x2a, x2d); read(offset, data)
      end
    elseif phase == wait_ptr1 then lo, phase = data, wait_ptr2
    elseif phase == wait_ptr2 then
      local ptr = (data << 8 | lo) & mask & ~mirror
      if ptr >= first and ptr <= last then phase, skip, want = wait_skip, 2, -1 else phase, want = wait_fetch, -1 end
    elseif offset == pc_entry.value & mask then -- wait_sync
      fetched(offset, data)
    end
  end

  local taps = {}
  for _, m in ipairs(mirrored(0, mirror)) do
    taps[#taps + 1] = sp:install_read_tap(first | m, last | m, "mame_zoo_instructions", read)
  end
  local function frame_ended() n = 0 end
  local function reset() n, phase = 0, wait_sync end
  local function snapshot()
    return string.format("instructions %d %d %d %d %d %d %d %d %d %d %d", n, phase, want, skip, at, target, x1a,
      x1d, x2a, x2d, lo)
  end
  local function restore(f)
    if f then
      n, phase, want, skip, at, target, x1a, x1d, x2a, x2d, lo = table.unpack(f, 1, 11)
    else -- (a state saved without the model: its frame's count is not known)
      n, phase = 0, wait_sync
    end
  end
  return { taps = taps, frame_ended = frame_ended, reset = reset, snapshot = snapshot, restore = restore }
end

-- (sp, pc_entry and the range checked by the caller)
local function set_instructions(sp, pc_entry, count, first, last, mirror)
  local key = count > 0 and table.concat({ tostring(sp), count, first, last, mirror }, ":") or nil
  if instructions and instructions.key == key then return end -- the same limit: it keeps counting
  if instructions then for _, t in ipairs(instructions.taps) do t:remove() end end
  instructions = nil
  if not key then return end
  instructions = instruction_limit(sp, pc_entry, count, first, last, mirror)
  instructions.key = key
end

-- MAME saves and loads a state at the end of its timeslice, which runs on after the request (hundreds of
-- cycles at a game's signal). A timer due at once ends the timeslice right after the current instruction, so
-- the state is the machine at the frame end it was asked at. `then_do` runs there, just before the save or load
-- (some MAME versions finish the instruction, others stop after the current cycle).
local function now_please(then_do)
  local co = coroutine.create(function()
    emu.wait(0)
    if then_do then then_do() end
  end)
  coroutine.resume(co)
end

-- The bridge's own timing state is not in MAME's state: it travels beside it, in a file next to the state
-- (times are the machine's, which a load restores).
local TIMELINE_SUFFIX = ".mame_zoo"
local function write_timeline(path)
  local lines = { string.format("frame %.17g %.17g %.17g %d %d", frame_start, last_end, line_origin,
    signal_level and 1 or 0, since_signal) }
  lines[#lines + 1] = string.format("rows %.17g %d %d", opposite_at or -1, frame_rows, done_rows)
  for key, t in pairs(triggers) do
    lines[#lines + 1] = string.format("trigger %s %d %.17g", key, t.level and 1 or 0, t.release)
  end
  local r = restart
  if r and r.active then
    lines[#lines + 1] = string.format("timer %d %.17g %d %d %d", r.value, r.first or -1, r.after_irq and 1 or 0,
      r.irq_reset or 0, r.shift)
  end
  local f = io.open(path, "w")
  if not f then reject(E_STATE, "cannot write " .. path) end
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

-- The instruction model's place, as the state is saved: at the end of the timeslice (see now_please).
local function append_instructions(path)
  local f = instructions and io.open(path, "a")
  if not f then return end
  f:write(instructions.snapshot(), "\n")
  f:close()
end

local function read_timeline(path)
  local model = nil -- the instruction model's fields, applied when the state is loaded (see now_please)
  local f = io.open(path, "r")
  if not f then -- a state saved without the bridge: where its frame began is not known until its next end
    frame_start, last_end, limit_at = -math.huge, -1.0, math.huge
    return model
  end
  if restart then restart.active = false end
  for line in f:lines() do
    if line:match("^instructions ") then
      model = {}
      for v in line:gmatch("%-?%d+") do model[#model + 1] = tonumber(v) end
      if #model ~= 11 then model = nil end
    end
    local kind, a, b, c, d, e = line:match("^(%a+) (%S+) ?(%S*) ?(%S*) ?(%S*) ?(%S*)$")
    if kind == "frame" then
      frame_start, last_end, line_origin = tonumber(a), tonumber(b), tonumber(c)
      signal_level, since_signal = d == "1", tonumber(e)
    elseif kind == "rows" then
      opposite_at, frame_rows, done_rows = tonumber(a), tonumber(b), tonumber(c)
      if opposite_at < 0 then opposite_at = nil end
    elseif kind == "trigger" and triggers[a] then
      triggers[a].level, triggers[a].release = b == "1", tonumber(c)
    elseif kind == "timer" and restart then
      local r = restart
      r.active, r.value, r.first, r.after_irq, r.irq_reset, r.shift = true, tonumber(a), tonumber(b), c == "1",
        tonumber(d), tonumber(e) or 6
      if r.first < 0 then r.first = nil end
      r.arm()
    end
  end
  f:close()
  limit_at = limit_time()
  return model
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
    do_writes(take_writes(body, 1))
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
    devices[#spaces] = device
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
    if op == OP_SAVE then
      machine:save(path)
      write_timeline(path .. TIMELINE_SUFFIX)
      now_please(function() append_instructions(path .. TIMELINE_SUFFIX) end)
    else
      machine:load(path)
      local model = read_timeline(path .. TIMELINE_SUFFIX)
      now_please(function() if instructions then instructions.restore(model) end end)
    end
    return ""
  elseif op == OP_SOFT_RESET then
    expect_end(body, 1)
    machine:soft_reset()
    return ""
  elseif op == OP_MAP then
    local space_id, pos = take("<I2", body, 1)
    expect_end(body, pos)
    local sp = space_of(space_id)
    local out, n = {}, 0
    for _, e in ipairs(sp.map.entries) do
      n = n + 1
      out[n] = spack("<I8I8s2s2", e.address_start, e.address_end, e.read.handlertype, e.write.handlertype)
    end
    return spack("<I2", n) .. table.concat(out)
  elseif op == OP_SIGNAL then
    local space_id, address, mirror, mask, edge, longest, lines, per_line, limit_first, limit_last, limit_mirror, hz,
      count, code_first, code_last, code_mirror, pos = take("<I2I4I4BBI2I2I2I4I4I4I4I4I4I4I4", body, 1)
    expect_end(body, pos)
    signal_longest, since_signal = longest, 0
    if space_id == 0 then -- back to MAME's frame end
      if signal_taps then for _, t in ipairs(signal_taps) do t:remove() end end
      signal_taps = nil
      if limit_taps then for _, t in ipairs(limit_taps) do t:remove() end end
      limit_taps, limit_at = nil, math.huge
      set_instructions(nil, nil, 0)
      return ""
    end
    local sp = space_of(space_id)
    if mask == 0 or edge > EDGE_RISE then reject(E_REQUEST, "signal needs a bit mask and edge 0 or 1") end
    if address + mirror > sp.address_mask then reject(E_ADDRESS, "signal address outside the space") end
    if lines > 0 and hz == 0 then reject(E_REQUEST, "a frame length limit needs the CPU clock") end
    local pc_entry = nil -- (checked before anything is installed)
    if count > 0 then
      check_range(sp, code_first, code_last, code_mirror, "code")
      pc_entry = pc_of_6502(devices[space_id])
    end
    if hz > 0 then cpu_hz = hz end
    local taps = {}
    for _, a in ipairs(mirrored(address, mirror)) do
      taps[#taps + 1] = sp:install_write_tap(a, a, "mame_zoo_signal", function(_, data)
        local level = data & mask ~= 0
        local was = signal_level
        signal_level = level
        if was ~= level then
          if level == (edge == EDGE_RISE) then on_signal() else opposite_at = now() end
        end
      end)
    end
    if signal_taps then for _, t in ipairs(signal_taps) do t:remove() end end
    signal_taps, signal_level = taps, false
    set_limit(sp, lines, per_line, limit_first, limit_last, limit_mirror)
    set_instructions(sp, pc_entry, count, code_first, code_last, code_mirror)
    frame_start = now()
    limit_at = limit_time()
    return ""
  elseif op == OP_TAP then
    local field_id, space_id, address, mirror, mask, active_low, pos = take("<I2I2I4I4BB", body, 1)
    expect_end(body, pos)
    if not fields[field_id] then reject(E_INPUT, "unknown field id " .. field_id) end
    local sp = space_of(space_id)
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
  elseif op == OP_CHARGE then
    local field_id, space_id, address, mirror, mask, taddress, tmirror, tmask, hz, pos =
      take("<I2I2I4I4BI4I4BI4", body, 1)
    expect_end(body, pos)
    install_charge(field_id, space_id, address, mirror, mask, taddress, tmirror, tmask, hz)
    return ""
  elseif op == OP_RESTART then
    local space_id, vector, rfirst, rlast, rmirror, wfirst, wlast, wmirror, intervals, hz, first_cycles, in_play,
      device_tag, item_name, pos = take("<I2I4I4I4I4I4I4I4BI4BBs2s2", body, 1)
    expect_end(body, pos)
    install_restart(space_id, vector, rfirst, rlast, rmirror, wfirst, wlast, wmirror, intervals, hz, first_cycles,
      in_play ~= 0, device_tag, item_name)
    return ""
  elseif op == OP_SCREEN then
    local row_pixels, top, left, colours, row_cycles, height, tag, first, second, selector, pos =
      take("<I2I2I2I2I2I2s2s2s2s2", body, 1)
    expect_end(body, pos)
    return set_pen_screen(row_pixels, top, left, colours, row_cycles, height, tag, first, second, selector)
  elseif op == OP_EARLY then
    local space_id, first, last, mirror, catch_up, tag, count, pos = take("<I2I4I4I4I4s2B", body, 1)
    local names = {}
    for i = 1, count do names[i], pos = take("<s2", body, pos) end
    expect_end(body, pos)
    install_early(space_id, first, last, mirror, catch_up, tag, names)
    return ""
  elseif op == OP_BUS then
    local space_id, first, last, mirror, mask, model, pos = take("<I2I4I4I4BB", body, 1)
    expect_end(body, pos)
    install_bus(space_id, first, last, mirror, mask, model)
    return ""
  end
  reject(E_REQUEST, "unknown opcode " .. op)
end

local function apply_input(field, value, id)
  field:set_value(value)
  if tapped[id] then tapped[id] = value end
end

-- Answer requests until a STEP (returns true: emulate) or the end of the session (returns false).
local function serve()
  collectgarbage("step", gc_step_kb) -- the collector's share of the last step, done while Python works
  while true do
    local seq, op, body = receive()
    if not seq then return false end -- Python is gone
    if op == OP_STEP and #body < 5 then
      send(seq, ST_ERROR, spack("B", E_REQUEST) .. str("malformed request: STEP body of " .. #body .. " bytes"))
    elseif op == OP_STEP then
      local frames, flags, n, pos = sunpack("<I2BI2", body)
      if #body ~= 5 + 8 * n then
        send(seq, ST_ERROR, spack("B", E_REQUEST) .. str("malformed request: STEP body of " .. #body .. " bytes"))
      elseif frames < 1 then
        send(seq, ST_ERROR, spack("B", E_REQUEST) .. str("STEP needs at least 1 frame"))
      else
        -- check every change before applying any; those of later frames wait in the arrays
        local bad, kind, prev = nil, E_INPUT, 0
        later_n, later_i = 0, 1
        for _ = 1, n do
          local id, value, frame
          id, value, frame, pos = sunpack("<I2i4I2", body, pos)
          if not fields[id] then bad = "unknown field id " .. id; break end
          if frame >= frames or frame < prev then
            bad, kind = "input frame " .. frame .. " is out of order or not in the step", E_REQUEST
            break
          end
          prev = frame
          later_n = later_n + 1
          later_frame[later_n], later_field[later_n], later_value[later_n], later_id[later_n] = frame, fields[id],
            value, id
        end
        if bad then
          later_n = 0
          send(seq, ST_ERROR, spack("B", kind) .. str(bad))
          goto continue
        end
        while later_i <= later_n and later_frame[later_i] == 0 do
          apply_input(later_field[later_i], later_value[later_i], later_id[later_i])
          later_i = later_i + 1
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

-- The screen: the last frame, and its width, height and format. From MAME's screen, as drawn so far: at MAME's
-- frame end it is the frame just finished; at a game's own signal MAME has not copied the game's last frame to its
-- screen yet: two updates do (the first swaps MAME's two bitmaps, the second redraws the one pixels() reads),
-- without running MAME's end-of-frame work. MAME calls its frame_done callbacks from there: they are ignored while
-- refreshing.
local function pixels(at_signal)
  local ps = pen_screen
  if ps then
    local done = ps.buffers[ps.selector:read(0) == 0 and 2 or 1]
    local top = ps.top
    if ps.row_cycles > 0 and signal_taps then top = math.min(top + done_rows, ps.last_top) end
    return done:read_block(top * ps.row_pixels * 2, ps.bytes), ps.row_pixels, ps.height, PX_PEN16
  end
  if at_signal then
    refreshing = true
    machine.video:frame_update()
    machine.video:frame_update()
    refreshing = false
  end
  return (screen:pixels()), screen.width, screen.height, PX_BGRA -- pixels() also returns width and height
end

local started = false

-- The end of one frame of a step (MAME's, or the game's signal): sample, and at the step's last frame reply
-- and serve the next requests (emulation waits here).
local function end_frame(at_signal)
  if not started then
    started = true
    hello()
  else
    if needs_every_frame then sample_reads() end
    remaining = remaining - 1
    local done = step_frames - remaining
    while later_i <= later_n and later_frame[later_i] == done do
      apply_input(later_field[later_i], later_value[later_i], later_id[later_i])
      later_i = later_i + 1
    end
    if remaining == 1 and step_flags & F_MAXPOOL ~= 0 and step_flags & F_FRAME ~= 0 and screen then
      pool_px = (pixels(at_signal))
    end
    if remaining > 0 then return end
    local parts = { spack("<I4", screen and screen:frame_number() or 0), collect_reads(readers) }
    if step_flags & F_FRAME ~= 0 then
      if screen then
        local px, w, h, format = pixels(at_signal)
        parts[#parts + 1] = spack("<I2I2BB", w, h, pool_px and 2 or 1, format)
        if pool_px then parts[#parts + 1] = pool_px end
        parts[#parts + 1] = px
      else
        parts[#parts + 1] = spack("<I2I2BB", 0, 0, 0, PX_BGRA)
      end
    end
    pool_px = nil
    send_parts(step_seq, parts)
  end
  if restart then restart.disarm(false) end -- outside the timer's own taps
  if not serve() then
    dead = true
    machine:exit()
  end
end

local function end_frame_guarded(at_signal)
  if dead then return end
  local ok, err = xpcall(end_frame, debug.traceback, at_signal)
  if not ok then
    dead = true
    pcall(send, step_seq, ST_FATAL, tostring(err))
    machine:exit()
  end
end

-- A frame that ends at the game's signal or at its length limit starts the next one (Stella's frame start).
local function new_frame(t)
  if instructions then instructions.frame_ended() end
  since_signal, frame_start, last_end = 0, t, t
  limit_at = limit_time()
end

-- MAME's frame end ends a frame unless the game declared a signal (the first one always says hello), or the
-- signal has not come for signal_longest of MAME's frames (that frame goes on, as Stella's partial frames do).
local function on_frame_guarded()
  if refreshing then return end
  if signal_taps and started then
    if signal_longest == 0 then return end
    since_signal = since_signal + 1
    if since_signal < signal_longest then return end
  end
  since_signal = 0
  end_frame_guarded(false)
end

on_signal = function()
  local t = now()
  if t == last_end then return end -- the write that ended a frame by the length limit
  local ps = pen_screen
  if ps and ps.row_cycles > 0 then
    local n = ps.row_cycles
    done_rows = frame_rows
    frame_rows = opposite_at and cycles(t - line_origin) // n - cycles(opposite_at - line_origin) // n or 0
  end
  new_frame(t)
  end_frame_guarded(true)
end

end_frame_by_limit = function()
  local t = now()
  if t == last_end then return end
  new_frame(t)
  end_frame_guarded(true)
end

-- The instruction limit ends a step, not the TV frame (Stella's partial frame: its next update goes on with it).
end_frame_by_instructions = function() end_frame_guarded(true) end

-- A machine reset restarts the game's frame, releases every charge and starts the timer TIMER armed (Stella's
-- System::reset); this runs before the CPU's first instruction.
MAME_ZOO_AFTER_RESET = function()
  local t = now()
  frame_start, since_signal = t, 0
  limit_at = limit_time()
  if instructions then instructions.reset() end
  signal_level = false
  for _, trig in pairs(triggers) do trig.level, trig.release = false, t end
  if restart and restart.armed then
    restart.active, restart.armed, restart.value, restart.shift, restart.first, restart.reset, restart.after_irq =
      true, false, restart.intervals, 6, nil, t, false
    restart.arm()
  end
end

-- Step on frame_done on every version that has it (0.251 to 0.289; it is not deprecated). The machine frame
-- notifier of newer MAME fires at another point of the frame: save/load and frame skip would not be exact.
-- Keep a subscription referenced: newer MAME unsubscribes when it is garbage collected.
if emu.register_frame_done then
  emu.register_frame_done(on_frame_guarded)
else
  MAME_ZOO_SUBSCRIPTION = emu.add_machine_frame_notifier(on_frame_guarded)
end
