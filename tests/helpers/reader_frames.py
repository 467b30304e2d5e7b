"""Frames as card readers and scanners put them on the wire, byte for byte.

MagTek / ID TECH style readers (ASCII, one CR-terminated line per swipe, optional LRC after
each end sentinel, ``E`` markers for unreadable tracks, a sign-on banner at power-up) and
MSR605-style readers (``ESC s ESC 1 .. ESC 2 .. ESC 3 .. ? FS ESC <status>`` replies to
``ESC r``). Card numbers are the public test numbers of the card schemes (Luhn-valid, never
issued): 4111 1111 1111 1111, 5555 5555 5555 4444, 4000 0566 5566 5556.
"""

from __future__ import annotations

VISA_PAN = "4111111111111111"
MC_PAN = "5555555555554444"
VISA_DEBIT_PAN = "4000056655665556"

VISA_T1 = "%B4111111111111111^DOE/JOHN^2812101000000000000000123000000?"
VISA_T2 = ";4111111111111111=28121010000012300000?"
VISA_T1_LRC = "&"  # XOR of (ASCII - 0x20) from % to ?, plus 0x20
VISA_T2_LRC = "5"  # XOR of (ASCII - 0x30) from ; to ?, plus 0x30
MC_T1 = "%B5555555555554444^MUSTERMANN/ERIKA^2706201000000000000000456000000?"
MC_T2 = ";5555555555554444=27062010000045600000?"
MC_T1_LRC = "0"
MC_T2_LRC = ">"
DEBIT_T2 = ";4000056655665556=29031011234567890123?"
#: A track 1 whose LRC happens to be ";" -- the start sentinel of track 2.
VISA_T1_SEMICOLON_LRC = "%B4111111111111111^DOE/JOHN^281210100000000000000049000000?"

# -- MagTek / ID TECH (CR-terminated ASCII) --------------------------------------------------
IDTECH_SIGN_ON = b"ID TECH MiniMag II Serial V3.10 Copyright 2009\r\n"
MAGTEK_SIGN_ON = b"MagTek Mini Swipe Reader 21040110 Rev. C\r"

MAGTEK_VISA = f"{VISA_T1}{VISA_T2}\r".encode()
MAGTEK_VISA_LRC = f"{VISA_T1}{VISA_T1_LRC}{VISA_T2}{VISA_T2_LRC}\r".encode()
MAGTEK_MC_LRC_T3_ERROR = f"{MC_T1}{MC_T1_LRC}{MC_T2}{MC_T2_LRC}+E?\r".encode()
MAGTEK_T2_ONLY_T1_ERROR = f"%E?{MC_T2}+E?\r".encode()
MAGTEK_LRC_IS_SENTINEL = f"{VISA_T1_SEMICOLON_LRC};{VISA_T2}{VISA_T2_LRC}\r".encode()
MAGTEK_ALL_ERRORS = b"%E?;E?+E?\r"
MAGTEK_BARE_E = b"E\r"
MAGTEK_LRC_WRONG = f"{VISA_T1}7{VISA_T2}{VISA_T2_LRC}\r".encode()
MAGTEK_LUHN_WRONG = (
    b"%B4111111111111112^DOE/JOHN^2812101000000000000000123000000?"
    b";4111111111111112=28121010000012300000?\r"
)
MAGTEK_PAN_MISMATCH = f"{VISA_T1}{DEBIT_T2}\r".encode()
MAGTEK_PARTIAL = b"%B4111111111111111^DOE/JO\r"
#: MagTek insert reader: card inserted (sensor blocked), then a swipe with STX ESC framing and
#: the sensor state ("0": card withdrawn) after the last end sentinel.
MAGTEK_INSERT_SENSOR = b"\x02\x1b1\r\x03"
MAGTEK_STX_ESC_SENSOR_SWIPE = f"\x02\x1b{MC_T1}{MC_T2}0\r\x03".encode()
#: ID TECH's own format: one CR-terminated line per track.
IDTECH_LINES_T1_T2_T3 = f"{VISA_T1}\r{VISA_T2}\r;0123456789=0123?\r".encode()
IDTECH_LINES_T1_T2 = f"{MC_T1}\r{MC_T2}\r".encode()
#: ID TECH's UIC RS-232 format: STX <track> [LRC] DLE per track, the last one ended by ETX.
IDTECH_UIC_T1_T2_T3 = f"\x02{VISA_T1}\x10\x02{VISA_T2}\x10\x02;0123456789=0123?\x03".encode()
IDTECH_UIC_LRC_DUAL = f"\x02{MC_T1}{MC_T1_LRC}\x10\x02{MC_T2}{MC_T2_LRC}\x10".encode()
#: A reader with its terminator turned off: the swipe just stops.
MAGTEK_VISA_NO_CR = f"{VISA_T1}{VISA_T2}".encode()
IDTECH_LINES_NO_TERMINATOR = f"{MC_T1}\r{MC_T2}".encode()

# -- MSR605 style (ESC framed) ---------------------------------------------------------------
# Track markers are ESC 0x01/0x02/0x03; the field ends with "?" FS after the last track's own
# end sentinel (manual section 8: ``1B 73 1B 01 %01? 1B 02 ;23? 1B 03 ;45? ? 1C 1B status``).
MSR605_VISA = f"\x1bs\x1b\x01{VISA_T1}\x1b\x02{VISA_T2}\x1b\x03?\x1c\x1b0".encode()
MSR605_MC_T2_ONLY = f"\x1bs\x1b\x01\x1b\x02{MC_T2}\x1b\x03?\x1c\x1b0".encode()
#: Track 3 marker left out ("none data tracks will not be transmitted").
MSR605_MC_T2_NO_T3_MARKER = f"\x1bs\x1b\x01\x1b\x02{MC_T2}?\x1c\x1b0".encode()
#: The same frame as the brief writes it: ASCII "1", "2", "3" after ESC.
MSR605_VISA_ASCII_MARKERS = f"\x1bs\x1b1{VISA_T1}\x1b2{VISA_T2}\x1b3?\x1c\x1b0".encode()
MSR605_READ_ERROR = b"\x1bs\x1b\x01\x1b\x02\x1b\x03?\x1c\x1b1"
MSR605_STATUS_ONLY_ERROR = b"\x1b9"
MSR605_PAN_MISMATCH = f"\x1bs\x1b\x01{VISA_T1}\x1b\x02{DEBIT_T2}\x1b\x03?\x1c\x1b0".encode()
MSR605_NO_FIELD_END = f"\x1bs\x1b\x01\x1b\x02{MC_T2}\x1c\x1b0".encode()

# -- Scanners (CR or CR LF terminated) -------------------------------------------------------
SCAN_TXN_QR = b"TXN:12345000000001\r\n"
SCAN_TXN_BARE = b"12345000000042\r"
SCAN_VOUCHER_CODE128 = b"]C04111111111111111\r"
SCAN_VOUCHER_PREFIXED = b"CARD:5555555555554444\r\n"
SCAN_VOUCHER_LUHN_WRONG = b"5555555555554445\r"
SCAN_OTHER = b"https://example.com/promo\r"
