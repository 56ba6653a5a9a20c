namespace Recoverly.Calls;

/// <summary>
/// Which line types a text-back may go to (docs/product/texts.md, "Landlines"). Only types that clearly cannot take a
/// text are refused; VoIP numbers (fixed or not), "personal" and "unknown" are texted, because many of them do
/// receive texts and a refusal there would lose a real lead. A wrong guess costs one failed send, which is then
/// learned from its error code as before.
/// </summary>
public static class LineTypes
{
    /// <summary>Twilio Lookup v2 line type intelligence <c>type</c> values that cannot receive a text.</summary>
    private static readonly HashSet<string> NotTextable = new(StringComparer.OrdinalIgnoreCase)
    {
        "landline", "tollFree", "premium", "sharedCost", "uan", "voicemail", "pager",
    };

    public static bool Textable(string? lineType) => lineType is null || !NotTextable.Contains(lineType.Trim());
}
