namespace Recoverly.Consent;
public enum InboundIntent { OptOut, OptIn, Help, Conversation }
public static class KeywordClassifier
{
    public static InboundIntent Classify(string? body, bool currentlyOptedOut)
    {
        var b = (body ?? "").Trim().Trim('.', '!').ToUpperInvariant();
        return b switch
        {
            "STOP" or "STOPALL" or "STOP ALL" or "UNSUBSCRIBE" or "CANCEL" or "END" or "QUIT" or "REVOKE" or "OPTOUT" or "OPT OUT" or "OPT-OUT" or "REMOVE" => InboundIntent.OptOut,
            "START" or "UNSTOP" => InboundIntent.OptIn,
            "YES" when currentlyOptedOut => InboundIntent.OptIn,
            "HELP" or "INFO" => InboundIntent.Help,
            _ => InboundIntent.Conversation,
        };
    }
}
