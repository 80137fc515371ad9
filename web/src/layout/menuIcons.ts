// The icons a menu entry may show (route meta `icon`), by name. Element Plus icons are imported
// where they are used (vite.config.ts); the menu picks them by a string, so they are listed here.
import {
  AlarmClock, Aim, Bell, ChatDotRound, ChatLineSquare, Checked, Coin, Connection, Cpu, DataBoard, DataLine, Document,
  Files, Finished, Flag, Goods, Grid, Key, Link, List, Lock, Message, Money, Notebook, Odometer, OfficeBuilding, PieChart, Postcard, Present,
  PriceTag, Reading, Share, Shop, Stamp, Sunny, Tickets, TrendCharts, Upload, User, UserFilled, Wallet,
} from '@element-plus/icons-vue'

export const menuIcons = {
  AlarmClock, Aim, Bell, ChatDotRound, ChatLineSquare, Checked, Coin, Connection, Cpu, DataBoard, DataLine, Document,
  Files, Finished, Flag, Goods, Grid, Key, Link, List, Lock, Message, Money, Notebook, Odometer, OfficeBuilding, PieChart, Postcard, Present,
  PriceTag, Reading, Share, Shop, Stamp, Sunny, Tickets, TrendCharts, Upload, User, UserFilled, Wallet,
}
export type MenuIcon = keyof typeof menuIcons
