-- Thread creates in group $GROUP by $OWNER: POST $APP_PATH/thread.
local i = 0
local path, group, owner = os.getenv("APP_PATH") .. "/thread", os.getenv("GROUP"), os.getenv("OWNER")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format("POST", path, nil, string.format(
    "{\"group_id\":\"%s\",\"name\":\"bench %d\",\"msg_id\":\"m%d\",\"owner\":\"%s\"}", group, i, i, owner))
end
