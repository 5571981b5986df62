# The replies of a healthy SIMCom modem to the bring-up, for the firmware tests' fake stream
# (test_at.FakeStream): a small module of their own, so a test that needs only them does not
# compile test_modem.py (the compiler's heap, on a fragmented heap, failed test_modem_pin).
OK = b"\r\nOK\r\n"


def base(model="SIM800"):
    r = {
        "AT": OK,
        "ATE0": OK,
        "AT+CMEE=1": OK,
        "AT+CPIN?": b"\r\n+CPIN: READY\r\n" + OK,
        "AT+CMGF=0": OK,
        "AT+CNMI=2,1,0,1,0": OK,
        "AT+CNMI=1,1,0,1,0": OK,
        'AT+CPMS="SM","SM","SM"': b"\r\n+CPMS: 0,30,0,30,0,30\r\n" + OK,
        "AT+CREG=1": OK,
        "AT+CGREG=1": OK,
        "AT+CEREG=1": OK,
        "AT+CREG?": b"\r\n+CREG: 1,1\r\n" + OK,
        "AT+CGREG?": b"\r\n+CGREG: 1,1\r\n" + OK,
        "AT+CEREG?": b"\r\n+CEREG: 1,1\r\n" + OK,
        "AT+CGSN": b"\r\n866123456789012\r\n" + OK,
        "AT+CGMM": b"\r\n" + model.encode() + b"\r\n" + OK,
        "AT+CSQ": b"\r\n+CSQ: 18,0\r\n" + OK,
    }
    return r
