-- Batches of $BATCH (default 60) fresh users each, from puSTART on:
-- $METHOD (default POST) $ROOM_PATH/users {"usernames": [...]} (a batch add, a thread join or kick).
local i = tonumber(os.getenv("START") or "1")
local n = tonumber(os.getenv("BATCH") or "60")
local method, room = os.getenv("METHOD") or "POST", os.getenv("ROOM_PATH")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
request = function()
  local names = {}
  for j = 0, n - 1 do names[#names + 1] = string.format("\"pu%d\"", i + j) end
  i = i + n
  return wrk.format(method, room .. "/users", nil, "{\"usernames\":[" .. table.concat(names, ",") .. "]}")
end
