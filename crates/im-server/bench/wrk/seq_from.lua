-- One request per user puSTART, puSTART+1, …: METHOD $ROOM_PATH/users/puN (single add or remove).
local i = tonumber(os.getenv("START") or "1") - 1
local method, room = os.getenv("METHOD") or "POST", os.getenv("ROOM_PATH")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  i = i + 1
  return wrk.format(method, string.format("%s/users/pu%d", room, i))
end
