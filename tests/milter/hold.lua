-- hold.lua - a message held whole (a virus): the MTA is told to discard
-- it (SMFIR_DISCARD); nothing else is changed. The driver checks the
-- store row and the hold notice sent to the recipients.
-- -D: libdir socket msg [client_ip auth from rcpts chunk]
local lib = dofile(libdir .. "/lib.lua")

lib.main("hold", function()
	local conn = lib.transaction(lib.args())
	lib.expect_reply(conn, SMFIR_DISCARD, "end of message")
	lib.check(not mt.eom_check(conn, MT_BODYCHANGE), "the body was replaced before a discard")
	mt.disconnect(conn)
end)
