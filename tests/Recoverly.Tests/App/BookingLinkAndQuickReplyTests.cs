using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Owners;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

/// <summary>Booking in one tap: the booking link in texts, and the owner's quick replies in the reply box.</summary>
public partial class BookingLinkAndQuickReplyTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string Settings = "/app/settings";
    private const string Link = "https://book.example.com/acme";
    private const string WithLink = "Hi, this is {Business}. Sorry we missed you! Book here: {booking_link} or reply. Reply STOP to opt out.";

    private static Task<Business> BusinessAsync(TestApp app) => app.QueryAsync(d => d.Businesses.SingleAsync());

    private static Task<HttpResponseMessage> SaveLinkAsync(OwnerClient owner, string link) =>
        owner.PostAsync($"{Settings}?handler=BookingLink", new() { ["bookingLink"] = link }, tokenFrom: Settings);

    private static Task<HttpResponseMessage> SaveTemplateAsync(OwnerClient owner, string template) =>
        owner.PostAsync($"{Settings}?handler=Templates", new() { ["textBack"] = template }, tokenFrom: Settings);

    private static Task<HttpResponseMessage> AddQuickReplyAsync(OwnerClient owner, string text) =>
        owner.PostAsync($"{Settings}?handler=QuickReply", new() { ["text"] = text }, tokenFrom: Settings);

    [Theory]
    [BothDatabases]
    public async Task The_booking_link_goes_into_the_text_back_only_once_a_secure_link_is_set(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        // No link yet: a template using it is refused, with the reason, and nothing is saved.
        var refused = await SaveTemplateAsync(owner, WithLink);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains(TemplateRules.NoBookingLink, WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Null((await BusinessAsync(app)).TextBackTemplate);

        // A script or data URL, or plain http, is refused as the link.
        foreach (var bad in new[] { "javascript:alert(1)", "data:text/html,hi", "http://book.example.com/acme" })
        {
            var response = await SaveLinkAsync(owner, bad);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.Contains("must start with https://", html);
            Assert.Null((await BusinessAsync(app)).BookingLink);
        }

        Assert.Equal(HttpStatusCode.Redirect, (await SaveLinkAsync(owner, "  " + Link + " ")).StatusCode);
        Assert.Equal(Link, (await BusinessAsync(app)).BookingLink);
        Assert.Equal(HttpStatusCode.Redirect, (await SaveTemplateAsync(owner, WithLink)).StatusCode);

        // The preview shows the link and counts it.
        var preview = await owner.PostAsync($"{Settings}?handler=Preview", new() { ["template"] = WithLink }, tokenFrom: Settings);
        var json = JsonDocument.Parse(await preview.Content.ReadAsStringAsync()).RootElement;
        var expected = $"Hi, this is Acme Plumbing. Sorry we missed you! Book here: {Link} or reply. Reply STOP to opt out.";
        Assert.Equal(expected, json.GetProperty("text").GetString());
        Assert.Equal(expected.Length, json.GetProperty("characters").GetInt32());
        Assert.True(json.GetProperty("canSave").GetBoolean());

        // The caller gets it.
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Equal(expected, Assert.Single(app.Twilio.SentTo(Caller)).Body);

        // The link can't be removed while the text-back uses it.
        var cleared = await SaveLinkAsync(owner, "");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, cleared.StatusCode);
        Assert.Contains("uses {booking_link}", WebUtility.HtmlDecode(await cleared.Content.ReadAsStringAsync()));
        Assert.Equal(Link, (await BusinessAsync(app)).BookingLink);
    }

    [Theory]
    [BothDatabases]
    public async Task Quick_replies_are_offered_in_the_reply_box_with_placeholders_filled_in_and_never_sent_by_themselves(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());
        var page = $"/app/contacts/{contact.Id}";
        Assert.Contains("Save quick replies", await owner.TextAsync(page));

        // Using the link needs the link.
        var refused = await AddQuickReplyAsync(owner, "Book a time here: {booking_link}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains(TemplateRules.NoBookingLink, WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        await SaveLinkAsync(owner, Link);
        Assert.Equal(HttpStatusCode.Redirect, (await AddQuickReplyAsync(owner, "Book a time here: {booking_link}")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await AddQuickReplyAsync(owner, "Thanks, {Business} will call you within the hour.")).StatusCode);

        var html = await owner.PageAsync(page);
        var inserts = Insert().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.Equal([$"Book a time here: {Link}", "Thanks, Acme Plumbing will call you within the hour."], inserts);
        Assert.Contains("""<script src="/js/contact.js""", html);

        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Caller)); // the text-back only
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));

        // The link now can't be removed while a quick reply uses it; deleting that quick reply frees it.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SaveLinkAsync(owner, "")).StatusCode);
        var withLink = await app.QueryAsync(d => d.QuickReplies.SingleAsync(q => q.Text.Contains("{booking_link}")));
        var deleted = await owner.PostAsync($"{Settings}?handler=DeleteQuickReply", new() { ["quickReplyId"] = withLink.Id.ToString() }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SaveLinkAsync(owner, "")).StatusCode);
        Assert.Null((await BusinessAsync(app)).BookingLink);
    }

    [Fact]
    public async Task Quick_replies_are_a_handful_of_short_distinct_texts()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        var other = await app.AddBusinessAsync("Other Co", "+15125550200", "+15125550201");

        async Task RefusedAsync(string text, string reason)
        {
            var response = await AddQuickReplyAsync(owner, text);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains(reason, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        }

        await RefusedAsync("   ", "Write the quick reply first.");
        await RefusedAsync(new string('x', QuickReplies.MaxLength + 1), $"at most {QuickReplies.MaxLength} characters");
        Assert.Equal(HttpStatusCode.Redirect, (await AddQuickReplyAsync(owner, new string('x', QuickReplies.MaxLength))).StatusCode);
        await RefusedAsync(new string('x', QuickReplies.MaxLength), "You already have that quick reply.");
        for (var i = 1; i < QuickReplies.MaxCount; i++)
            Assert.Equal(HttpStatusCode.Redirect, (await AddQuickReplyAsync(owner, $"Reply number {i}")).StatusCode);
        await RefusedAsync("One too many", $"You have {QuickReplies.MaxCount} quick replies already");
        Assert.Equal(QuickReplies.MaxCount, await app.QueryAsync(d => d.QuickReplies.CountAsync()));

        // Another business's quick reply can't be deleted from here.
        long foreign = await app.QueryAsync(async d =>
        {
            var q = new QuickReply { BusinessId = other.Id, Text = "theirs", CreatedAt = DateTime.UtcNow };
            d.QuickReplies.Add(q);
            await d.SaveChangesAsync();
            return q.Id;
        });
        var response = await owner.PostAsync($"{Settings}?handler=DeleteQuickReply", new() { ["quickReplyId"] = foreign.ToString() }, tokenFrom: Settings);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(await app.QueryAsync(d => d.QuickReplies.AnyAsync(q => q.Id == foreign)));
    }

    [GeneratedRegex("""data-insert="([^"]*)""")]
    private static partial Regex Insert();
}
