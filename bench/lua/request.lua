-- One fixed request per scenario, or a unique body per request.
-- bench/wrk.py writes the scenario (method, headers, body template) into
-- a file named by the environment variable BENCH_SCENARIO; a template containing
-- @@N@@ gets a counter that is unique per thread and request, and the same
-- value goes into the Idempotency-Key header when that header is requested.
local scenario_path = os.getenv("BENCH_SCENARIO")
local method, path, body, headers, unique
local counter = 0
local prefix = ""

local function read_all(p)
  local f = assert(io.open(p, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  local spec = read_all(scenario_path)
  -- line 1: METHOD PATH; following lines: headers until a blank line; then the body
  local head, rest = spec:match("^(.-)\n\n(.*)$")
  if head == nil then head, rest = spec, "" end
  headers = {}
  local first = true
  for line in head:gmatch("[^\n]+") do
    if first then
      method, path = line:match("^(%S+)%s+(%S+)$")
      first = false
    else
      local k, v = line:match("^([^:]+):%s*(.*)$")
      headers[k] = v
    end
  end
  body = rest
  unique = body:find("@@N@@", 1, true) ~= nil
  -- unique per run (set by bench/wrk.py) and per Lua state (one per wrk thread)
  prefix = (os.getenv("BENCH_RUN_ID") or "run") .. "-" .. tostring({}):gsub("table: ", "")
  if not unique and #body > 0 then
    req = wrk.format(method, path, headers, body)
  elseif not unique then
    req = wrk.format(method, path, headers)
  end
end

function request()
  if not unique then
    return req
  end
  counter = counter + 1
  local n = prefix .. "-" .. tostring(counter)
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  if h["Idempotency-Key"] ~= nil then h["Idempotency-Key"] = "bench-" .. n end
  local b = body:gsub("@@N@@", n)
  return wrk.format(method, path, h, b)
end

-- The first answer of each non-2xx status (per thread) goes to BENCH_ERRORS, so the
-- report can say what failed instead of only how often.
local seen = {}
local errors_path = os.getenv("BENCH_ERRORS")
function response(status, headers, body)
  if status >= 300 and errors_path ~= nil and not seen[status] then
    seen[status] = true
    local f = io.open(errors_path, "ab")
    if f ~= nil then
      f:write(tostring(status), " ", (body or ""):sub(1, 240):gsub("\n", " "), "\n")
      f:close()
    end
  end
end
