namespace Recoverly.Owners;

/// <summary>
/// The words beside the (unticked) owner-alert box. The version is stored with every opt-in, so the
/// ledger shows what the owner agreed to; change the version whenever the words change.
/// </summary>
public static class OwnerAlertDisclosure
{
    public const string Version = "owner-alerts-2026-11";

    public static string Text(string businessName) =>
        $"Text me missed-call alerts for {businessName} at this number: about one text per missed call or caller reply. " +
        "Msg & data rates may apply. Reply STOP to cancel, HELP for help. We'll text you once to confirm; alerts start after you reply YES.";
}
