using System.Text.RegularExpressions;
using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Tests.Consent;

/// <summary>Consent changes live in one folder; reasons are codes mapped to words in one place.</summary>
public partial class ConsentBoundaryTests
{
    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Recoverly.slnx"))) return Path.Combine(dir.FullName, "src", "Recoverly");
        throw new InvalidOperationException("Run the tests from inside the repository.");
    }

    [Fact]
    public void No_code_outside_the_consent_folder_writes_the_consent_ledger()
    {
        var root = SourceRoot();
        var consent = Path.Combine(root, "Consent") + Path.DirectorySeparatorChar;
        var migrations = Path.Combine(root, "Data", "Migrations") + Path.DirectorySeparatorChar;
        var writers = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(consent, StringComparison.Ordinal) && !f.StartsWith(migrations, StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => LedgerWrite().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(root, f))
            .ToList();
        Assert.True(writers.Count == 0, "Consent is changed outside Consent/: " + string.Join(", ", writers));
        // The guard must be able to see a write: the ledger's own append is one.
        Assert.Matches(LedgerWrite(), File.ReadAllText(Path.Combine(consent, "ConsentLedger.cs")));
    }

    [Fact]
    public void Every_outbox_reason_has_the_owners_words()
    {
        foreach (var reason in Enum.GetValues<OutboxReason>().Where(r => r != OutboxReason.None))
        {
            var words = OwnerWords.Reason(reason, OutboundKind.TextBack, 30007);
            Assert.False(string.IsNullOrWhiteSpace(words), $"{reason} has no words");
            Assert.NotEqual(reason.ToString(), words);
        }
    }

    [GeneratedRegex(@"ConsentEvents\s*\.\s*Add|new\s+ConsentEvent\b|ConsentLedger\s*\.\s*Append|INSERT\s+INTO\s+""ConsentEvents""")]
    private static partial Regex LedgerWrite();
}
