using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

/// <summary>
/// Accounts as a hostile sign-up would use them: nothing tells whether an email has an account, mailed links are
/// single-use and expire, a mailbox alone never opens someone else's account, and ending a session ends it everywhere.
/// </summary>
public partial class AccountSecurityTests
{
    private const string Password = OwnerClient.Password;

    private static string Alert(string html) => WebUtility.HtmlDecode(AlertText().Match(html).Groups[1].Value.Trim());

    private static async Task<(HttpStatusCode Status, string Body, bool SignedIn)> PostAnonymouslyAsync(TestApp app, string page,
        Dictionary<string, string> fields)
    {
        using var visitor = OwnerClient.Anonymous(app);
        var response = await visitor.PostAsync(page, fields);
        var signedIn = response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("recoverly.owner=", StringComparison.Ordinal));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), signedIn);
    }

    private static Task<OwnerAccount> AccountAsync(TestApp app, string email) =>
        app.QueryAsync(d => d.OwnerAccounts.AsNoTracking().SingleAsync(a => a.Email == email));

    [Theory]
    [BothDatabases]
    public async Task Sign_up_answers_the_same_whether_or_not_the_email_has_an_account_and_changes_nothing_of_the_existing_one(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var fresh = await PostAnonymouslyAsync(app, "/signup", new() { ["Email"] = "new@example.com", ["Password"] = Password });
        using var owner = await OwnerClient.SignUpAsync(app, "taken@example.com");

        var again = await PostAnonymouslyAsync(app, "/signup", new() { ["Email"] = "new@example.com", ["Password"] = "an attacker's password" });
        var taken = await PostAnonymouslyAsync(app, "/signup", new() { ["Email"] = "taken@example.com", ["Password"] = "an attacker's password" });

        Assert.Equal((HttpStatusCode.OK, false), (fresh.Status, fresh.SignedIn));
        Assert.Contains("Check your email", fresh.Body);
        Assert.Equal((fresh.Status, fresh.SignedIn), (again.Status, again.SignedIn));
        Assert.Equal(fresh.Body, again.Body); // same page, word for word
        Assert.Equal((fresh.Status, fresh.SignedIn), (taken.Status, taken.SignedIn));
        Assert.Equal(fresh.Body.Replace("new@example.com", "taken@example.com", StringComparison.Ordinal), taken.Body);
        // The existing owner is told, and keeps their password; nobody was signed into their account.
        var notice = await app.TakeMailAsync("taken@example.com", "You already have a Recoverly account");
        Assert.Contains("/forgot-password", notice);
        Assert.Null((await app.WithScopeAsync(sp => sp.GetRequiredService<Accounts>().SignInAsync("taken@example.com", "an attacker's password", default))).Account);
        Assert.NotNull((await app.WithScopeAsync(sp => sp.GetRequiredService<Accounts>().SignInAsync("taken@example.com", Password, default))).Account);
        Assert.Equal(2, await app.QueryAsync(d => d.OwnerAccounts.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task The_mailed_link_confirms_the_email_only_with_the_password_once_and_within_a_day(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        using var browser = OwnerClient.Anonymous(app);
        await browser.PostAsync("/signup", new() { ["Email"] = "fresh@example.com", ["Password"] = Password });
        var link = Mailbox.Link(await app.TakeMailAsync("fresh@example.com", "Confirm your email"), "/verify-email?token=");
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/onboarding")).StatusCode); // not signed in by signing up

        // Whoever reads the mailbox but doesn't know the password confirms nothing and gets no session.
        var guessed = await browser.ConfirmEmailAsync(link, "not the password");
        Assert.Equal(HttpStatusCode.OK, guessed.StatusCode);
        Assert.Contains(Accounts.WrongLogin, WebUtility.HtmlDecode(await guessed.Content.ReadAsStringAsync()));
        Assert.Null((await AccountAsync(app, "fresh@example.com")).EmailVerifiedAt);

        var confirmed = await browser.ConfirmEmailAsync(link, Password);
        Assert.Equal("/onboarding", confirmed.Headers.Location?.OriginalString);
        Assert.Equal(app.Time.GetUtcNow().UtcDateTime, (await AccountAsync(app, "fresh@example.com")).EmailVerifiedAt);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/onboarding")).StatusCode);
        var id = (await AccountAsync(app, "fresh@example.com")).Id;
        Assert.True(await app.QueryAsync(d => Accounts.IsAccountEmailVerifiedAsync(d, id)));

        // Used once: the same link does nothing more, even with the password.
        using var other = OwnerClient.Anonymous(app);
        Assert.Contains("expired or was already used", WebUtility.HtmlDecode(await other.PageAsync(new Uri(link).PathAndQuery)));

        // A link older than a day is dead too.
        using var late = OwnerClient.Anonymous(app);
        await late.PostAsync("/signup", new() { ["Email"] = "late@example.com", ["Password"] = Password });
        var lateLink = Mailbox.Link(await app.TakeMailAsync("late@example.com", "Confirm your email"), "/verify-email?token=");
        app.Time.Advance(Accounts.VerificationLifetime + TimeSpan.FromMinutes(1));
        Assert.Contains("expired or was already used", WebUtility.HtmlDecode(await late.PageAsync(new Uri(lateLink).PathAndQuery)));
        Assert.Null((await AccountAsync(app, "late@example.com")).EmailVerifiedAt);
    }

    [Fact]
    public async Task The_banner_asks_to_confirm_and_its_resend_button_is_throttled_per_account()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id, email: "later@example.com", emailVerified: false);
        Assert.Contains("Confirm your email address (later@example.com)", WebUtility.HtmlDecode(await owner.Http.GetStringAsync("/app")));

        async Task<string> ResendAsync() =>
            WebUtility.HtmlDecode(await (await owner.PostAsync("/verify-email?handler=Resend", [], tokenFrom: "/app")).Content.ReadAsStringAsync());

        Assert.Contains("We've sent a new link", await ResendAsync());
        var link = Mailbox.Link(await app.TakeMailAsync("later@example.com", "Confirm your email"), "/verify-email?token=");
        Assert.Contains("Wait a minute", await ResendAsync()); // at once again: refused
        app.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Contains("We've sent a new link", await ResendAsync());
        app.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Contains("We've sent a new link", await ResendAsync());
        app.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Contains("Wait a minute", await ResendAsync()); // three an hour at most
        Assert.Equal(3, await app.QueryAsync(d => d.EmailVerificationTokens.CountAsync()));

        // Signed in as that owner, the link needs no password; then the banner is gone.
        var page = await owner.Http.GetStringAsync(new Uri(link).PathAndQuery);
        Assert.DoesNotContain("name=\"Password\"", page);
        var confirmed = await owner.PostAsync("/verify-email",
            new() { ["Token"] = WebUtility.UrlDecode(link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..]) }, tokenFrom: new Uri(link).PathAndQuery);
        Assert.Equal("/app", confirmed.Headers.Location?.OriginalString);
        Assert.DoesNotContain("Confirm your email address", WebUtility.HtmlDecode(await owner.Http.GetStringAsync("/app")));
        Assert.True(await app.QueryAsync(d => Accounts.IsEmailVerifiedAsync(d, business.Id)));
    }

    [Theory]
    [BothDatabases]
    public async Task Login_answers_the_same_for_an_unknown_email_a_wrong_password_and_a_locked_account(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        using var _ = await OwnerClient.SignUpAsync(app, "owner@example.com");
        using var visitor = OwnerClient.Anonymous(app);
        var token = OwnerClient.AntiforgeryToken(await visitor.PageAsync("/login"));

        async Task<(HttpStatusCode, string)> LogInAsync(string email, string password)
        {
            var response = await visitor.PostWithTokenAsync("/login", [new("Email", email), new("Password", password)], token);
            return (response.StatusCode, Alert(await response.Content.ReadAsStringAsync()));
        }

        var unknown = await LogInAsync("nobody@example.com", Password);
        var wrong = await LogInAsync("owner@example.com", "not the password");
        for (var i = 0; i < Accounts.MaxFailedLogins - 1; i++) await LogInAsync("owner@example.com", "not the password");
        Assert.NotNull((await AccountAsync(app, "owner@example.com")).LockedUntil);
        var locked = await LogInAsync("owner@example.com", Password); // the right password, during the lockout

        Assert.Equal((HttpStatusCode.OK, Accounts.WrongLogin), unknown);
        Assert.Equal(unknown, wrong);
        Assert.Equal(unknown, locked);
    }

    [Theory]
    [BothDatabases]
    public async Task A_new_reset_link_retires_the_older_ones_and_resets_are_throttled_per_account(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        using var _ = await OwnerClient.SignUpAsync(app, "owner@example.com");
        using var visitor = OwnerClient.Anonymous(app);
        var token = OwnerClient.AntiforgeryToken(await visitor.PageAsync("/forgot-password"));

        async Task<string> AskAsync(string email) =>
            await (await visitor.PostWithTokenAsync("/forgot-password", [new("Email", email)], token)).Content.ReadAsStringAsync();

        var known = await AskAsync("owner@example.com");
        var first = Mailbox.Link(await app.TakeMailAsync("owner@example.com", "Reset your Recoverly password"), "/reset-password?token=");
        Assert.Equal(known, await AskAsync("nobody@example.com")); // the same page for an email without an account
        app.Time.Advance(TimeSpan.FromMinutes(2));
        await AskAsync("owner@example.com");
        var second = Mailbox.Link(await app.TakeMailAsync("owner@example.com", "Reset your Recoverly password"), "/reset-password?token=");

        async Task<HttpResponseMessage> ResetAsync(string link, string password)
        {
            var path = new Uri(link).PathAndQuery;
            var html = await visitor.PageAsync(path);
            return await visitor.PostWithTokenAsync(path, [new("Password", password)], OwnerClient.AntiforgeryToken(html));
        }

        var stale = await ResetAsync(first, "a brand new password 1");
        Assert.Contains("expired or was already used", await stale.Content.ReadAsStringAsync());
        Assert.Equal("/login?reset=true", (await ResetAsync(second, "a brand new password 2")).Headers.Location?.OriginalString);
        Assert.NotNull((await app.WithScopeAsync(sp => sp.GetRequiredService<Accounts>().SignInAsync("owner@example.com", "a brand new password 2", default))).Account);

        // Throttle: a request within a minute of the last one is not mailed, nor a fourth within the hour.
        await AskAsync("owner@example.com");
        app.Time.Advance(TimeSpan.FromMinutes(2));
        await AskAsync("owner@example.com");
        await app.TakeMailAsync("owner@example.com", "Reset your Recoverly password");
        // The mail queue is first in, first out: once a later mail is out, nothing for the owner is still on its way.
        using var marker = OwnerClient.Anonymous(app);
        await marker.PostAsync("/signup", new() { ["Email"] = "marker@example.com", ["Password"] = Password });
        await app.TakeMailAsync("marker@example.com", "Confirm your email");
        Assert.True(Mailbox.NoneTo(app.MailFolder, "owner@example.com"));
        Assert.Equal(3, await app.QueryAsync(d => d.PasswordResetTokens.CountAsync()));
    }

    [Fact]
    public async Task A_password_reset_confirms_the_email_and_ends_every_session_of_whoever_opened_the_account()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        // Someone opens an account with the owner's address and a password of their own, and stays signed in.
        using var squatter = await OwnerClient.SignInAsync(app, null, email: "owner@example.com", emailVerified: false);
        Assert.Equal(HttpStatusCode.OK, (await squatter.Http.GetAsync("/onboarding")).StatusCode);

        // The real owner, who only has the mailbox, resets the password.
        using var owner = OwnerClient.Anonymous(app);
        await owner.PostAsync("/forgot-password", new() { ["Email"] = "owner@example.com" });
        var link = new Uri(Mailbox.Link(await app.TakeMailAsync("owner@example.com", "Reset your Recoverly password"), "/reset-password?token=")).PathAndQuery;
        await owner.PostWithTokenAsync(link, [new("Password", "the real owner's password")], OwnerClient.AntiforgeryToken(await owner.PageAsync(link)));

        Assert.NotNull((await AccountAsync(app, "owner@example.com")).EmailVerifiedAt);
        Assert.Equal(HttpStatusCode.Redirect, (await squatter.Http.GetAsync("/onboarding")).StatusCode);
        Assert.Equal(0, await app.QueryAsync(d => d.LoginSessions.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Logging_out_ends_the_session_even_for_a_copy_of_its_cookie(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var business = await app.AddBusinessAsync();
        using var owner = await OwnerClient.SignInAsync(app, business.Id, email: "owner@example.com");
        var cookie = owner.Cookie("recoverly.owner");
        Assert.Equal(HttpStatusCode.OK, (await CopiedCookieAsync(app, cookie, "/app")).StatusCode);

        var loggedOut = await owner.PostAsync("/logout", [], tokenFrom: "/app");

        Assert.Equal("/login", loggedOut.Headers.Location?.OriginalString);
        var replayed = await CopiedCookieAsync(app, cookie, "/app");
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.StartsWith("http://localhost/login", replayed.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Taking_the_operator_role_away_ends_operator_access_at_once()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        using var op = await OwnerClient.SignInAsync(app, null, isOperator: true, email: "ops@example.com");
        Assert.Equal(HttpStatusCode.OK, (await op.Http.GetAsync("/operator")).StatusCode);

        await app.QueryAsync(d => d.OwnerAccounts.Where(a => a.Email == "ops@example.com").ExecuteUpdateAsync(s => s.SetProperty(a => a.IsOperator, false)));

        var after = await op.Http.GetAsync("/operator");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("http://localhost/login", after.Headers.Location!.OriginalString);
    }

    /// <summary>A request from another machine that carries only a copied session cookie.</summary>
    private static async Task<HttpResponseMessage> CopiedCookieAsync(TestApp app, string cookie, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", $"recoverly.owner={cookie}");
        return await app.Http.SendAsync(request);
    }

    [GeneratedRegex("role=\"alert\">(.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex AlertText();
}
