"""What the bench setups share: calls to the server, SQL on its database, the app token and the
users (u0..u59 through the API, pu1..puN and `hub` straight into the table, since argon2 through
the API would take hours)."""

import json
import subprocess
import sys
import urllib.request


class Bench:
    def __init__(self, base, cid, csec, dburl):
        self.base, self.dburl = base, dburl
        self.token = self.call("POST", "/token", {"grant_type": "client_credentials",
                                                  "client_id": cid, "client_secret": csec})["access_token"]
        self.app = self.sql("select id from apps where org_name = 'bench'")

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        req.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def sql(self, statement):
        out = subprocess.run(["psql", "-Atq", self.dburl, "-c", statement], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"setup SQL failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def users(self, n):
        self.call("POST", "/users", [{"username": f"u{j}", "password": "pw"} for j in range(60)])
        self.sql(f"insert into users (app, username, uuid) select '{self.app}'::uuid, 'pu'||g, gen_random_uuid() "
                 f"from generate_series(1, {n}) g union all select '{self.app}'::uuid, 'hub', gen_random_uuid(); "
                 "analyze users")

    def group(self, owner, maxusers, members=()):
        body = {"groupname": "g", "description": "d", "public": True, "owner": owner,
                "maxusers": maxusers, "members": list(members)}
        return self.call("POST", "/chatgroups", body)["data"]["groupid"]

    def fill(self, gid, first, last):
        """Adds pu<first>..pu<last> to a group in batches of 60."""
        self.fill_room("chatgroups", gid, first, last)

    def fill_room(self, kind, rid, first, last):
        """Adds pu<first>..pu<last> to a room of `kind` (chatgroups, chatrooms) in batches of 60."""
        for i in range(first, last + 1, 60):
            names = [f"pu{j}" for j in range(i, min(i + 60, last + 1))]
            self.call("POST", f"/{kind}/{rid}/users", {"usernames": names})
