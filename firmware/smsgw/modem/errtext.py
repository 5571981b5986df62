# The verbose texts of +CME/+CMS ERROR (AT+CMEE=2 wording, and what a modem sends before
# AT+CMEE=1) -> codes: one string each, not a dict. Lower case. Loaded only when such a line
# comes or a failure is described (modem/at.py: parse_error, cms_text), then forgotten.
# +CME: 3GPP TS 27.007 9.2; +CMS: 27.005 3.2.5 (SIM800 and SIM7600 wordings, docs/SIMCOM-AT.md §4).
CME = (
    "|phone failure=0|operation not allowed=3|operation not supported=4|sim not inserted=10"
    "|sim pin required=11|sim puk required=12|sim failure=13|sim busy=14|sim wrong=15"
    "|incorrect password=16|sim pin2 required=17|sim puk2 required=18|memory full=20"
    "|invalid index=21|not found=22|memory failure=23|no network service=30"
    "|network timeout=31|network not allowed - emergency call only=32|unknown=100|"
)
CMS = (
    "|short message transfer rejected=21|network out of order=38|temporary failure=41"
    "|switching equipment congestion=42|resources unavailable, unspecified=47"
    "|requested facility not subscribed=50|requested facility not implemented=69"
    "|sim sms storage full=208|me failure=300|operation not allowed=302"
    "|operation not supported=303|invalid pdu mode=304|invalid pdu mode parameter=304"
    "|invalid text mode=305|invalid text mode parameter=305|sim not inserted=310"
    "|sim pin necessary=311|sim pin required=311|sim failure=313|sim busy=314"
    "|memory failure=320|invalid memory index=321|memory full=322|invalid input value=325"
    "|smsc address unknown=330|no network=331|no network service=331|network timeout=332"
    "|no cnma ack=340|no +cnma ack expected=340|unknown=500|unknown error=500|"
)


def cms_text(code):
    """The 27.005 text of `+CMS ERROR: <code>` (the first `CMS` names), or None."""
    k = CMS.find("=%d|" % code)
    return None if k < 0 else CMS[CMS.rfind("|", 0, k) + 1 : k]


def code(kind, text):
    """Code for a verbose error text of kind "CME" or "CMS", or None when unknown."""
    table = CME if kind == "CME" else CMS
    k = table.find("|%s=" % text.lower())
    if k < 0:
        return None
    k += len(text) + 2
    return int(table[k : table.find("|", k)])
