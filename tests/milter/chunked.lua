-- chunked.lua - the same message sent with body chunks of many sizes
-- (1 byte and up) gets the same verdict every time: the reply, the
-- X-Airlock value (up to the ';') and whether the body is replaced.
-- Catches state kept across chunk boundaries (boundary lines, base64
-- quads, CRLF pairs split between two chunks). The driver then checks
-- that every quarantined copy equals the message file byte for byte.
-- (Used for verdicts without a new body: miltertest cannot receive a
-- replaced body, so the strip cases go through tests/lib/milter_client.py.)
-- -D: libdir socket msg expect sizes (comma list) out [client_ip ...]
-- expect: REPLY/X-AIRLOCK/BODY as lib.verdict() spells it, e.g.
-- SMFIR_ACCEPT/stripped/body-replaced.
local lib = dofile(libdir .. "/lib.lua")

lib.main("chunked " .. tostring(msg), function()
	local fields, body = lib.parse_message(lib.read_file(msg))
	local ids = {}
	for size in string.gmatch(sizes, "[^,]+") do
		local o = lib.args()
		o.fields, o.body, o.chunk = fields, body, size
		local conn = lib.transaction(o)
		local v = lib.verdict(conn)
		lib.check(v.kind == expect, "chunks of %s bytes: verdict %s, expected %s", size, v.kind,
			expect)
		local id = lib.stripped_id(v.x_airlock)
		if id ~= nil then
			ids[#ids + 1] = id
		end
		mt.disconnect(conn)
	end
	lib.write_out(out, { ids = table.concat(ids, ",") })
end)
