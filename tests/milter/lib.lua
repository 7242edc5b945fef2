-- lib.lua - shared helpers for the airlock-milter miltertest scripts.
--
-- Loaded by every script with dofile(libdir .. "/lib.lua"); the driver
-- (run_miltertest.py) passes -D libdir=... and the script's parameters
-- as -D NAME=value globals (strings).
--
-- A message file is sent as the MTA would: its header fields one by
-- one, each value exactly as in the file (folding kept; the space after
-- the colon as the filter negotiated: miltertest 1.6 adds it back itself
-- under SMFIP_HDR_LEADSPC), then the body in chunks of a chosen size. So
-- the quarantined original must equal the file byte for byte.
--
-- miltertest prints nothing for a Lua error, so every check goes through
-- lib.check()/lib.fail(), and lib.main() reports "FAIL: ..." on stderr
-- and exits 1 (0 when the script body returns).

local lib = {}

local reply_names = {}

local function name_reply(code)
	if next(reply_names) == nil then
		for _, n in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
			"SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE", "SMFIR_SKIP" }) do
			if _G[n] ~= nil then
				reply_names[_G[n]] = n
			end
		end
	end
	return reply_names[code] or string.format("reply %s", tostring(code))
end
lib.name_reply = name_reply

function lib.fail(fmt, ...)
	error(string.format(fmt, ...), 0)
end

function lib.check(cond, fmt, ...)
	if not cond then
		lib.fail(fmt, ...)
	end
end

-- A miltertest call returns nil on success or an error string.
function lib.ok(err, what)
	if err ~= nil then
		lib.fail("%s: %s", what, tostring(err))
	end
end

function lib.expect_reply(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		lib.fail("%s: the filter answered %s, expected %s", what, name_reply(got),
			name_reply(want))
	end
end

-- Runs body(); reports the outcome and exits (0 ok, 1 failed).
function lib.main(name, body)
	local ok, err = pcall(body)
	if ok then
		io.stdout:write(string.format("ok: %s\n", name))
		io.stdout:flush()
		os.exit(0)
	end
	io.stderr:write(string.format("FAIL: %s: %s\n", name, tostring(err)))
	io.stderr:flush()
	os.exit(1)
end

function lib.read_file(path)
	local f, err = io.open(path, "rb")
	if f == nil then
		lib.fail("cannot open %s: %s", path, tostring(err))
	end
	local data = f:read("a")
	f:close()
	return data
end

-- Splits a message into header fields {name=, value=} (value: everything
-- after the colon up to, not including, the line end that ends the field;
-- continuation lines included with their line ends) and the body (after
-- the empty line).
function lib.parse_message(data)
	local eol = data:find("\r\n", 1, true) and "\r\n" or "\n"
	local sep = data:find(eol .. eol, 1, true)
	local head, body
	if sep == nil then
		head, body = data, ""
	else
		head = data:sub(1, sep + #eol - 1)
		body = data:sub(sep + 2 * #eol)
	end
	local fields = {}
	local pos = 1
	while pos <= #head do
		local e = head:find(eol, pos, true)
		local line_end = e and (e + #eol) or (#head + 1)
		local line = head:sub(pos, (e or #head + 1) - 1)
		local c = line:sub(1, 1)
		if (c == " " or c == "\t") and #fields > 0 then
			local f = fields[#fields]
			f.value = f.value .. eol .. line
		else
			local colon = line:find(":", 1, true)
			lib.check(colon ~= nil, "header line without a colon: %q", line)
			fields[#fields + 1] = { name = line:sub(1, colon - 1), value = line:sub(colon + 1) }
		end
		pos = line_end
	end
	return fields, body
end

-- One SMTP transaction against the filter. o: socket, msg (path) or
-- fields+body, client_host, client_ip, helo, qid, auth (nil: not
-- authenticated), from, rcpts (list), chunk (body chunk size, default
-- 65535), extra_headers (fields sent before the message's own).
-- Returns the connection after EOM; the EOM reply is mt.getreply(conn).
function lib.transaction(o)
	local fields, body = o.fields, o.body
	if fields == nil then
		fields, body = lib.parse_message(lib.read_file(o.msg))
	end
	mt.set_timeout(120)
	local conn = mt.connect(o.socket, 40, 0.25)
	lib.check(conn ~= nil, "cannot connect to %s", tostring(o.socket))
	lib.ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
	lib.check(mt.test_action(conn, SMFIF_ADDHDRS) and mt.test_action(conn, SMFIF_CHGHDRS)
		and mt.test_action(conn, SMFIF_CHGBODY),
		"the filter did not ask to add/change headers and replace the body")
	for _, step in ipairs({ "SMFIP_NOCONNECT", "SMFIP_NOHELO", "SMFIP_NOMAIL", "SMFIP_NORCPT",
		"SMFIP_NOHDRS", "SMFIP_NOEOH", "SMFIP_NOBODY" }) do
		lib.check(not mt.test_option(conn, _G[step]),
			"the filter negotiated %s away: it needs every step", step)
	end
	local leadspc = mt.test_option(conn, SMFIP_HDR_LEADSPC)

	lib.ok(mt.conninfo(conn, o.client_host or "client.example", o.client_ip or "192.0.2.1"),
		"conninfo")
	lib.expect_reply(conn, SMFIR_CONTINUE, "connect")
	lib.ok(mt.helo(conn, o.helo or "client.example"), "helo")
	lib.expect_reply(conn, SMFIR_CONTINUE, "HELO")
	if o.auth ~= nil then
		mt.macro(conn, SMFIC_MAIL, "i", o.qid or "MTQID1", "{auth_authen}", o.auth)
	else
		mt.macro(conn, SMFIC_MAIL, "i", o.qid or "MTQID1")
	end
	lib.ok(mt.mailfrom(conn, "<" .. (o.from or "sender@example.org") .. ">"), "mailfrom")
	lib.expect_reply(conn, SMFIR_CONTINUE, "MAIL")
	for _, r in ipairs(o.rcpts or { "bob@test.example" }) do
		lib.ok(mt.rcptto(conn, "<" .. r .. ">"), "rcptto")
		lib.expect_reply(conn, SMFIR_CONTINUE, "RCPT " .. r)
	end
	local all = {}
	for _, f in ipairs(o.extra_headers or {}) do
		all[#all + 1] = f
	end
	for _, f in ipairs(fields) do
		all[#all + 1] = f
	end
	for _, f in ipairs(all) do
		-- miltertest itself puts one space back in front of the value
		-- when the filter negotiated SMFIP_HDR_LEADSPC (as Postfix
		-- does), so the one after the colon is always taken off here.
		local value = f.value
		if value:sub(1, 1) == " " then
			value = value:sub(2)
		else
			lib.check(not leadspc, "header %s has no space after the colon: miltertest "
				.. "cannot send it byte for byte", f.name)
		end
		lib.ok(mt.header(conn, f.name, value), "header " .. f.name)
		lib.expect_reply(conn, SMFIR_CONTINUE, "header " .. f.name)
	end
	lib.ok(mt.eoh(conn), "eoh")
	lib.expect_reply(conn, SMFIR_CONTINUE, "EOH")
	local chunk = tonumber(o.chunk or 65535)
	lib.check(chunk >= 1 and chunk <= 65535, "bad chunk size %s", tostring(o.chunk))
	for pos = 1, #body, chunk do
		lib.ok(mt.bodystring(conn, body:sub(pos, pos + chunk - 1)), "body")
		lib.expect_reply(conn, SMFIR_CONTINUE, string.format("body chunk at %d", pos))
	end
	lib.ok(mt.eom(conn), "eom")
	return conn
end

-- The verdict as seen from the MTA: reply, X-Airlock header inserted
-- (value or nil), body replaced or not, forged headers deleted.
function lib.verdict(conn)
	local v = {
		reply = mt.getreply(conn),
		x_airlock = mt.getheader(conn, "X-Airlock", 0),
		body_replaced = mt.eom_check(conn, MT_BODYCHANGE),
		x_airlock_inserted_top = false,
	}
	if v.x_airlock ~= nil then
		v.x_airlock_inserted_top = mt.eom_check(conn, MT_HDRINSERT, "X-Airlock", v.x_airlock, 0)
	end
	v.kind = name_reply(v.reply) .. "/" .. (v.x_airlock and v.x_airlock:gsub(";.*", "") or "-")
		.. "/" .. (v.body_replaced and "body-replaced" or "body-kept")
	return v
end

-- The quarantine id in "stripped; id=ID" (nil if absent or malformed).
function lib.stripped_id(x_airlock)
	if x_airlock == nil then
		return nil
	end
	return x_airlock:match("^stripped; id=([0-9A-HJKMNP-TV-Z]+)$")
end

-- The transaction options from the -D globals every script accepts:
-- socket, msg, client_ip, client_host, helo, auth, from, rcpts (comma
-- separated), chunk, qid.
function lib.args()
	local rcpts = {}
	for r in string.gmatch(_G.rcpts or "bob@test.example", "[^,]+") do
		rcpts[#rcpts + 1] = r
	end
	lib.check(_G.socket ~= nil, "no -D socket=PATH")
	return {
		socket = _G.socket, msg = _G.msg, client_ip = _G.client_ip,
		client_host = _G.client_host, helo = _G.helo, auth = _G.auth,
		from = _G.from, rcpts = rcpts, chunk = _G.chunk, qid = _G.qid,
	}
end

-- key=value lines for the driver (run_miltertest.py reads them).
function lib.write_out(path, t)
	if path == nil then
		return
	end
	local f = assert(io.open(path, "w"))
	for k, v in pairs(t) do
		f:write(string.format("%s=%s\n", k, tostring(v)))
	end
	f:close()
end

return lib
