-- accept.lua - a message Airlock lets through: the filter inserts
-- "X-Airlock: clean" as the first header and answers ACCEPT at end of
-- message, without touching the body.
-- -D: libdir socket msg [client_ip auth from rcpts chunk]
local lib = dofile(libdir .. "/lib.lua")

lib.main("accept", function()
	local conn = lib.transaction(lib.args())
	lib.expect_reply(conn, SMFIR_ACCEPT, "end of message")
	lib.check(mt.eom_check(conn, MT_HDRINSERT, "X-Airlock", "clean", 0),
		"no 'X-Airlock: clean' inserted at index 0 (got X-Airlock: %s)",
		tostring(mt.getheader(conn, "X-Airlock", 0)))
	lib.check(mt.getheader(conn, "X-Airlock", 1) == nil, "more than one X-Airlock header added")
	lib.check(not mt.eom_check(conn, MT_BODYCHANGE), "the body was replaced")
	lib.check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted")
	mt.disconnect(conn)
end)
