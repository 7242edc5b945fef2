-- forged.lua - X-Airlock and X-Airlock-Release headers that came with the
-- mail are removed (SMFIR_CHGHEADER with an empty value, for each
-- occurrence), and the filter's own X-Airlock is the only one left.
-- -D: libdir socket msg forged (number of X-Airlock headers in msg)
--     release (number of X-Airlock-Release headers) expect (clean; the
--     stripped variant needs a body miltertest cannot receive: see
--     tests/lib/milter_client.py)
local lib = dofile(libdir .. "/lib.lua")

lib.main("forged headers", function()
	local conn = lib.transaction(lib.args())
	lib.expect_reply(conn, SMFIR_ACCEPT, "end of message")
	for i = 1, tonumber(forged) do
		lib.check(mt.eom_check(conn, MT_HDRDELETE, "X-Airlock", i),
			"forged X-Airlock header #%d not deleted", i)
	end
	lib.check(not mt.eom_check(conn, MT_HDRDELETE, "X-Airlock", tonumber(forged) + 1),
		"deleted an X-Airlock header #%d that does not exist", tonumber(forged) + 1)
	for i = 1, tonumber(release) do
		lib.check(mt.eom_check(conn, MT_HDRDELETE, "X-Airlock-Release", i),
			"forged X-Airlock-Release header #%d not deleted", i)
	end
	local value = mt.getheader(conn, "X-Airlock", 0)
	lib.check(value ~= nil and (value == expect or value:sub(1, #expect + 1) == expect .. ";"),
		"X-Airlock is %q, expected %s", tostring(value), expect)
	lib.check(mt.eom_check(conn, MT_HDRINSERT, "X-Airlock", value, 0),
		"X-Airlock not inserted at index 0")
	lib.check(mt.getheader(conn, "X-Airlock", 1) == nil, "more than one X-Airlock header added")
	mt.disconnect(conn)
end)
