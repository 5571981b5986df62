# smsgw: the gateway firmware package. Pure modules (gsm7, pdu, concat) also import on CPython.
VERSION = "0.1.0"
