# codec: the SMS PDU codec (GSM-7/UCS-2, TP fields, user data, concatenation); pure, host-shared.
