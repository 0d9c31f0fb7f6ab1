-- One add per request, spread over rooms: user puSTART, puSTART+1, … each to the next room of
-- $ROOMS (comma-separated ids) in turn: POST $ROOMS_PATH/<room>/users/puN.
local i = tonumber(os.getenv("START") or "1") - 1
local prefix = os.getenv("ROOMS_PATH")
local rooms = {}
for r in string.gmatch(os.getenv("ROOMS"), "[^,]+") do rooms[#rooms + 1] = r end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  i = i + 1
  return wrk.format("POST", string.format("%s/%s/users/pu%d", prefix, rooms[(i % #rooms) + 1], i))
end
