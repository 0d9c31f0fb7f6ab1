-- Batch adds of 60 fresh users each, from puSTART on: POST $ROOM_PATH/users {"usernames": [...]}.
local i = tonumber(os.getenv("START") or "1")
local room = os.getenv("ROOM_PATH")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
request = function()
  local names = {}
  for j = 0, 59 do names[#names + 1] = string.format("\"pu%d\"", i + j) end
  i = i + 60
  return wrk.format("POST", room .. "/users", nil, "{\"usernames\":[" .. table.concat(names, ",") .. "]}")
end
