-- reply.lua - a message refused with an SMTP reply of the filter's
-- choosing: reject (550 5.7.1) or tempfail (451 4.7.1). The filter
-- answers SMFIR_REPLYCODE with exactly code, xcode and text.
-- -D: libdir socket msg code xcode text [client_ip auth from rcpts chunk]
local lib = dofile(libdir .. "/lib.lua")

lib.main("reply " .. tostring(code), function()
	lib.check(code ~= nil and xcode ~= nil and text ~= nil, "need -D code, xcode and text")
	local conn = lib.transaction(lib.args())
	lib.expect_reply(conn, SMFIR_REPLYCODE, "end of message")
	lib.check(mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text),
		"the reply is not '%s %s %s'", code, xcode, text)
	lib.check(not mt.eom_check(conn, MT_BODYCHANGE), "the body was replaced")
	lib.check(not mt.eom_check(conn, MT_HDRINSERT), "a header was inserted")
	mt.disconnect(conn)
end)
